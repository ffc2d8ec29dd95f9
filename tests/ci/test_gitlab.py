"""The GitLab recipe (examples/ci/gitlab/.gitlab-ci.yml): shaped as the README promises, and its
apply job's scripts, exactly as shipped, run against the emulator (gitlab.py): the lockfile push
is part of `script`, so a refused push fails the job; the apply's exit code is the job's."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import yaml

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.gitlab import GITLAB, TOKEN, GitLabJob
from tests.ci.pipeline import Pipeline
from tests.ci.samples import with_placeholders

CREATE = "/api/v1/workflows"
PUSHED = "Pushed the lockfile."


def test_the_gitlab_recipe_plans_merge_requests_and_applies_main_one_at_a_time() -> None:
    pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert pipeline["stages"] == ["plan", "apply"]
    assert {"plan", "apply"} <= pipeline.keys()
    plan, apply = pipeline["plan"], pipeline["apply"]
    assert plan["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "<!-- onepin-sync-plan -->" in plan["script"][0]
    assert apply["resource_group"] == "onepin-production"
    assert apply["interruptible"] is False
    assert apply["variables"]["GIT_DEPTH"] == "0"
    define, *script = apply["script"]
    assert define.startswith("push_lockfile() (\n")
    assert script == [
        'git fetch --quiet origin "$CI_DEFAULT_BRANCH"',
        'git checkout --quiet -B "$CI_DEFAULT_BRANCH" "origin/$CI_DEFAULT_BRANCH"',
        "onepin-sync --no-color apply --auto-approve --lock-timeout 300 || applied=$?",
        'push_lockfile "exit ${applied:-0}" || pushed=$?',
        'exit "${applied:-${pushed:-0}}"',
    ]
    assert apply["after_script"] == [define, 'push_lockfile "job ${CI_JOB_STATUS}"']
    assert 'git add -- "$lockfile"' in define
    assert "git rebase" in define
    assert apply["artifacts"]["when"] == "always"


def test_the_gitlab_scripts_are_valid_bash_and_their_python_compiles() -> None:
    pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    scripts = [
        "\n".join(pipeline[job][part])
        for job in ("plan", "apply")
        for part in ("script", "after_script")
        if part in pipeline[job]
    ]
    embedded = []
    for script in scripts:
        done = subprocess.run(
            ["bash", "-n"], input=script, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        embedded += re.findall(r"python - <<'EOF'\n(.*?)\nEOF", script, re.DOTALL)
    assert len(scripts) == 3
    assert len(embedded) == 1  # the plan note
    compile(embedded[0], "<.gitlab-ci.yml plan>", "exec")


# --- the apply job, run -----------------------------------------------------------------------


def creates(workspace: EmulatorWorkspace) -> int:
    return sum(1 for r in workspace.requests() if r.method == "POST" and r.path == CREATE)


def test_the_gitlab_apply_job_applies_then_pushes_the_lockfile_from_its_script(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed()

    result = GitLabJob(pipeline, "apply").run()

    assert (result.status, result.returncode) == ("success", 0), result.output
    assert "Apply complete: 4 created" in result.output
    assert PUSHED in result.output
    assert pipeline.subjects()[0] == "onepin-sync: lockfile after apply (exit 0) [skip ci]"
    assert len(pipeline.lock_entries()) == 4
    assert result.after_script == "No change of the lockfile to commit.\n"
    assert creates(workspace) == 4


def test_a_refused_lockfile_push_fails_the_gitlab_apply_job(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed()
    hook = pipeline.origin / "hooks" / "pre-receive"  # a protected branch, a token that may not
    hook.write_text("#!/bin/sh\necho 'GitLab: You are not allowed to push' >&2\nexit 1\n")
    hook.chmod(0o755)

    result = GitLabJob(pipeline, "apply").run()

    assert (result.status, result.returncode) == ("failed", 1), result.output
    assert "Apply complete: 4 created" in result.output  # the apply itself succeeded
    assert "The push was refused (attempt 5)" in result.output
    assert "ERROR: could not push the lockfile; it is kept as this job's artifact" in result.output
    assert PUSHED not in result.output + result.after_script
    assert pipeline.lockfile() is None
    assert creates(workspace) == 4


def test_a_failed_gitlab_apply_pushes_its_lockfile_and_fails_with_its_exit_code(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed()
    workspace.add_fault(kind="status", status=422, method="POST", path=f"^{CREATE}$",
                        body_contains="Payment reminder")  # fmt: skip

    result = GitLabJob(pipeline, "apply").run()

    assert (result.status, result.returncode) == ("failed", 6), result.output
    assert "Apply incomplete: 3 created, 0 updated, 0 deleted; 1 failed." in result.output
    assert PUSHED in result.output
    assert pipeline.subjects()[0] == "onepin-sync: lockfile after apply (exit 6) [skip ci]"
    assert len(pipeline.lock_entries()) == 3


def journal_intents(job: GitLabJob) -> int:
    journal = job.workspace / ".onepin-sync" / "journal.jsonl"
    return journal.read_text(encoding="utf-8").count('"type": "intent"') if journal.exists() else 0


def test_a_cancelled_gitlab_apply_job_pushes_its_lockfile_from_after_script(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed()
    workspace.add_fault(kind="latency", seconds=1.0, method="POST", path=f"^{CREATE}$", times=0)
    job = GitLabJob(pipeline, "apply")
    started: list[float] = []

    def in_flight() -> bool:  # the four creates journalled, then a moment to reach the server
        if not started and journal_intents(job) == 4:
            started.append(time.monotonic())
        return bool(started) and time.monotonic() - started[0] > 0.25

    result = job.run(cancel_when=in_flight)

    assert (result.status, result.returncode) == ("canceled", -signal.SIGTERM), result.output
    assert "Interrupted by SIGTERM: 4 created" in result.output, result.output
    assert PUSHED not in result.output  # the shell died with the job's script
    assert PUSHED in result.after_script, result.after_script
    assert pipeline.subjects()[0] == "onepin-sync: lockfile after apply (job canceled) [skip ci]"
    assert len(pipeline.lock_entries()) == 4  # the writes in flight finished and are recorded


def test_the_gitlab_apply_job_gets_placeholder_values_from_ci_cd_variables(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed({"workflows/support/callback.yaml": with_placeholders("Calls back.")})
    variables = {
        "ONEPIN_API_KEY": workspace.api_key,
        "ONEPIN_BASE_URL": workspace.base_url,
        "ONEPIN_SYNC_GITLAB_TOKEN": TOKEN,
        "SUPPORT_PHONE": "+44 20 7946 0000",
        "VOICE_TOKEN": "vk-0123456789abcdef",
    }

    result = GitLabJob(pipeline, "apply", variables=variables).run()

    assert (result.status, result.returncode) == ("success", 0), result.output
    assert "Apply complete: 1 created" in result.output
    assert "vk-0123456789abcdef" not in result.output
