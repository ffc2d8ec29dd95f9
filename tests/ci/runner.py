"""A GitHub Actions job runner for the shipped recipes: their `run:` scripts, exactly as shipped.

    workflow = Workflow.load(RECIPES / "onepin-apply.yml")
    job = JobRunner(workflow, "apply", context=JobContext(...), machine=machine)
    result = job.run()                  # or job.start(); ...; job.cancel(); job.wait()
    assert result.step("apply").returncode == 0

What it does like GitHub: steps run in order; `if:` is evaluated with `success()`, `failure()`,
`always()`, `cancelled()` (a condition without one is `success() && (...)`), `steps.<id>.outcome`
and `.outputs`, `github.*`, `secrets`, `vars`, `env`, `matrix`, `needs`; `${{ }}` in `run`, `env`
and `with` values is substituted before the step starts; `env` merges workflow, job and step;
`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_STEP_SUMMARY` and `RUNNER_TEMP` are files and folders of
this job; a `run:` step is `bash --noprofile --norc -eo pipefail FILE` (the recipes set
`shell: bash`; any other shell is refused) in its own process group, in the job's workspace.
Cancelling (`cancel()`) signals the running step's process group and marks the job cancelled,
so only `always()`/`cancelled()` steps run after it; `lose_machine()` sends SIGKILL and runs
nothing more, as when the runner machine itself dies.

What the caller provides: the machine's environment (PATH with `onepin-sync` and a stub `gh`),
and a handler per `uses:` step and per replaced `run:` step (checkout is a `git clone` by the
harness; installing onepin-sync is the venv already on PATH). Replaced steps are listed in the
result, so a test can check that nothing else was left out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.ci.expressions import (
    evaluate,
    is_whole_expression,
    strip_braces,
    substitute,
    truthy,
    uses_status_function,
)
from tests.ci.jobs import JobContext, JobResult, Machine, StepResult, Workflow

__all__ = ["JobContext", "JobResult", "JobRunner", "Machine", "StepResult", "Workflow"]

STEP_TIMEOUT = 45.0
BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")


class JobRunner:
    def __init__(
        self, workflow: Workflow, job_id: str, *, context: JobContext, machine: Machine
    ) -> None:
        self.workflow = workflow
        self.job_id = job_id
        self.job = workflow.job(job_id)
        self.context = context
        self.machine = machine
        self.workspace = machine.root / "workspace"
        self.temp = machine.root / "runner-temp"
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._running_step: str | None = None
        self._cancelled = False
        self._lost = False
        self._thread: threading.Thread | None = None
        self._result: JobResult | None = None
        self._error: BaseException | None = None

    # --- control from another thread ------------------------------------------------------------

    def start(self) -> JobRunner:
        def target() -> None:
            try:
                self._result = self.run()
            except BaseException as exc:  # re-raised by wait()
                self._error = exc

        self._thread = threading.Thread(target=target, name=f"job-{self.job_id}", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float = 60.0) -> JobResult:
        assert self._thread is not None, "start() first"
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.lose_machine()
            raise AssertionError(f"job {self.job_id} did not end within {timeout:g} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    @property
    def running_step(self) -> str | None:
        with self._lock:
            return self._running_step if self._process is not None else None

    def cancel(self, signum: int = signal.SIGTERM) -> None:
        """Cancel the job: signal the running step's process group; later steps see cancelled()."""
        with self._lock:
            self._cancelled = True
            if self._process is not None:
                os.killpg(self._process.pid, signum)

    def lose_machine(self) -> None:
        """The machine dies: SIGKILL to the running step's process group, no further step."""
        with self._lock:
            self._lost = True
            if self._process is not None:
                os.killpg(self._process.pid, signal.SIGKILL)

    # --- running ------------------------------------------------------------------------------

    def run(self) -> JobResult:
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        summary = self.temp / "step-summary.md"
        summary.touch()
        results: list[StepResult] = []
        steps_context: dict[str, Any] = {}
        extra_env: dict[str, str] = {}
        failed = False
        if not self._truthy(self.job.get("if", "success()"), steps_context, failed=False):
            return JobResult("skipped", [], "", {})
        for index, step in enumerate(self.workflow.steps(self.job_id)):
            name = step.get("name") or step.get("uses") or f"step {index}"
            if self._lost:
                break
            condition = step.get("if", "success()")
            if not self._truthy(condition, steps_context, failed=failed):
                result = StepResult(index, step.get("id"), name, "skipped")
            else:
                started = time.monotonic()
                result = self._run_step(index, step, name, steps_context, extra_env, summary)
                result.seconds = time.monotonic() - started
                if result.outcome in {"failure", "cancelled"} and not step.get(
                    "continue-on-error", False
                ):
                    failed = failed or result.outcome == "failure"
            results.append(result)
            if result.id:
                steps_context[result.id] = {
                    "outcome": result.outcome,
                    "conclusion": result.outcome,
                    "outputs": dict(result.outputs),
                }
        status = (
            "lost"
            if self._lost
            else "cancelled"
            if self._cancelled
            else "failure"
            if failed
            else "success"
        )
        outputs = {
            key: self._substitute(str(value), steps_context)
            for key, value in (self.job.get("outputs") or {}).items()
        }
        return JobResult(status, results, summary.read_text(encoding="utf-8"), outputs)

    def _run_step(
        self,
        index: int,
        step: Mapping[str, Any],
        name: str,
        steps_context: Mapping[str, Any],
        extra_env: dict[str, str],
        summary: Path,
    ) -> StepResult:
        step_id = step.get("id")
        env = self._env(step, steps_context, extra_env)
        if "uses" in step or step_id in self.machine.replace:
            with_values = {
                key: self._substitute(str(value), steps_context, env)
                for key, value in (step.get("with") or {}).items()
            }
            if "uses" in step:
                action = str(step["uses"]).split("@", 1)[0]
                handler = self.machine.uses.get(action)
                if handler is None:
                    raise AssertionError(f"no stand-in for the action {step['uses']}")
            else:
                handler = self.machine.replace[step_id]
            handler(step, with_values, self.workspace)
            uses = step.get("uses")
            return StepResult(index, step_id, name, "success", 0, replaced=True, uses=uses)
        shell = step.get("shell") or self._defaults().get("shell")
        if shell != "bash":
            raise AssertionError(f"step {name!r}: the recipes must run with shell: bash")
        script = self.temp / f"step-{index}.sh"
        script.write_text(self._substitute(step["run"], steps_context, env), encoding="utf-8")
        files = {
            name: self.temp / f"{name.lower()}-{index}"
            for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")
        }
        for path in files.values():
            path.write_text("", encoding="utf-8")
        process_env = {
            **env,
            **{name: str(path) for name, path in files.items()},
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        cwd = self.workspace / (step.get("working-directory") or "")
        with self._lock:
            if self._lost or (self._cancelled and not self._may_run_cancelled(step)):
                return StepResult(index, step_id, name, "skipped")
            process = subprocess.Popen(
                [*BASH, str(script)],
                cwd=cwd,
                env=process_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            self._process, self._running_step = process, step_id or name
        try:
            stdout, stderr = process.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"step {name!r} ran over {STEP_TIMEOUT:g} s:\n{stdout}{stderr}"
            ) from None
        finally:
            with self._lock:
                self._process, self._running_step = None, None
        code = process.returncode
        with self._lock:
            interrupted = self._cancelled or self._lost
        outcome = "success" if code == 0 else "cancelled" if interrupted else "failure"
        extra_env.update(_read_env_file(files["GITHUB_ENV"]))
        for line in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines():
            extra_env["PATH"] = f"{line}{os.pathsep}{extra_env.get('PATH', env['PATH'])}"
        outputs = _read_env_file(files["GITHUB_OUTPUT"])
        return StepResult(index, step_id, name, outcome, code, stdout, stderr, outputs)

    def _may_run_cancelled(self, step: Mapping[str, Any]) -> bool:
        condition = str(step.get("if", ""))
        return "always()" in condition or "cancelled()" in condition

    def _defaults(self) -> Mapping[str, Any]:
        merged: dict[str, Any] = {}
        for level in (self.workflow.data, self.job):
            merged.update(((level.get("defaults") or {}).get("run")) or {})
        return merged

    def _env(
        self, step: Mapping[str, Any], steps_context: Mapping[str, Any], extra: Mapping[str, str]
    ) -> dict[str, str]:
        github = self.context.github
        env: dict[str, str] = {
            **self.machine.environ,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": str(github.get("repository", "")),
            "GITHUB_SHA": str(github.get("sha", "")),
            "GITHUB_REF": str(github.get("ref", "")),
            "GITHUB_EVENT_NAME": str(github.get("event_name", "")),
            "GITHUB_RUN_ID": str(github.get("run_id", "")),
            "GITHUB_SERVER_URL": str(github.get("server_url", "")),
            "RUNNER_TEMP": str(self.temp),
            **extra,
        }
        declared: dict[str, str] = {}
        for level in (self.workflow.data, self.job, step):
            for key, value in (level.get("env") or {}).items():
                declared[key] = self._substitute(str(value), steps_context, declared)
        env.update(declared)
        return env

    def _contexts(
        self, steps_context: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return {
            "github": self.context.github,
            "secrets": self.context.secrets,
            "vars": self.context.vars,
            "matrix": self.context.matrix or {},
            "needs": self.context.needs,
            "steps": steps_context,
            "env": env or {},
            "runner": {"os": "Linux", "temp": str(self.temp)},
            "job": {"status": "cancelled" if self._cancelled else "success"},
        }

    def _functions(self, *, failed: bool) -> dict[str, Callable[..., Any]]:
        cancelled = self._cancelled
        return {
            "success": lambda: not failed and not cancelled,
            "failure": lambda: failed,
            "always": lambda: True,
            "cancelled": lambda: cancelled,
        }

    def _truthy(self, condition: Any, steps_context: Mapping[str, Any], *, failed: bool) -> bool:
        if isinstance(condition, bool):
            return condition
        text = strip_braces(str(condition))
        if not uses_status_function(text):
            text = f"success() && ({text})"
        env = self._env({}, steps_context, {})
        value = evaluate(text, self._contexts(steps_context, env), self._functions(failed=failed))
        return truthy(value)

    def _substitute(
        self, text: str, steps_context: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> str:
        contexts = self._contexts(steps_context, env)
        functions = self._functions(failed=False)
        return substitute(text, lambda expression: evaluate(expression, contexts, functions))

    def matrix_of(self, needs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The matrix combinations of this job (`include` lists, as the recipes use them)."""
        strategy = self.job["strategy"]["matrix"]
        if isinstance(strategy, str) and is_whole_expression(strategy):
            contexts = {**self._contexts({}), "needs": needs}
            strategy = evaluate(strip_braces(strategy), contexts, {})
        return [dict(item) for item in strategy["include"]]


def _read_env_file(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as GITHUB_OUTPUT and GITHUB_ENV hold."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values
