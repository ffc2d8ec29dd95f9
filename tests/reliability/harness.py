"""The reliability suite's harness: a tracked project and the one invariant checker.

    def test_x(sync: Tracked) -> None:
        sync.project.copy_examples()
        sync.workspace.add_fault(kind="reset", method="POST")
        assert sync.run("apply", "--auto-approve").code == 6
        assert_invariants(sync)

`Tracked` wraps the e2e `SyncProject`: every run it makes (in-process through `cli.run`, as a
subprocess through `python -m onepin_sync`, or straight through `commands.apply.run` with client
options the CLI does not expose) is recorded, and after each one the lockfile must parse and no
secret may appear in the output or in any file of the project. `assert_invariants` then checks
what "nothing lost" means against the emulator's stored data and request log:

- one more `apply` converges: exit 0, then `plan --detailed-exitcode` exits 0 with no changes;
  no journal, no lock holder and no temporary lockfile is left behind;
- the lockfile manages exactly the workflow files, each key its own remote workflow (its name
  recorded with secrets masked), and the workflows created during the test are exactly the
  managed ones (no duplicate, no orphan);
- every write in the request log is a create or targets a workflow the lockfile managed at some
  point; none touches a workflow that existed before the test (unmanaged) and none is a PUT;
- the API key and every `${secret.X}` value appear nowhere (checked after every run);
- the test stayed within its time budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from onepin_sync.commands.apply import ApplySettings
from onepin_sync.commands.apply import run as apply
from onepin_sync.commands.context import ClientOptions, RunEnvironment
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.matching import SETTLE_AFTER
from onepin_sync.core.redact import Redactor
from onepin_sync.emulator.control import EmulatorWorkspace, RequestRecord
from onepin_sync.errors import OnepinSyncError
from onepin_sync.files.project import TargetOptions
from onepin_sync.state.lockfile import read_lockfile
from onepin_sync.views.console import ConsoleUi, print_error
from onepin_sync.views.reports import apply_report
from tests.e2e.support import WORKFLOWS
from tests.sync_project import CliResult, SyncProject

WORKFLOW_PATH = re.compile(r"^/api/v1/workflows/(?P<id>[^/]+)$")
SUBPROCESS_TIMEOUT = 30.0
SERVER_CLOCK_STEP = timedelta(seconds=2)
"""What a client's reading of the server's clock errs by at most here: the `Date` header's whole
second, and the wait the CLI adds for it (`commands/preparation.py`)."""


class Tracked:
    """A `SyncProject` whose every run is recorded and checked as it happens."""

    def __init__(self, project: SyncProject) -> None:
        self.project = project
        self.workspace: EmulatorWorkspace = project.workspace
        self.started = time.monotonic()
        self.results: list[CliResult] = []
        self.secrets: set[str] = {self.workspace.api_key}
        self.ever_managed: set[str] = set()
        self.unmanaged: set[str] = set()  # remote ids that existed before onepin-sync ran
        self._ignored_seqs: set[int] = set()

    # --- paths -------------------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        return self.project.root / ".onepin-sync"

    @property
    def journal(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def lock(self) -> Path:
        return self.state_dir / "lock"

    def later(self) -> None:
        """Let the server's time pass beyond the settling of every create sent so far, as it has
        when the next CI job starts: that run need not wait for them (`core/matching.py`). A
        test of that wait itself leaves this out."""
        self.workspace.control.advance_clock((SETTLE_AFTER + SERVER_CLOCK_STEP).total_seconds())

    # --- running -----------------------------------------------------------------------------

    def run(self, command: str, *args: str, target: bool = True, debug: bool = False) -> CliResult:
        """The real CLI in-process (`cli.run`), recorded and checked."""
        if not debug:
            return self.observe(self.project.run(command, *args, target=target))
        targets = self.project.target_args() if target else []
        return self.observe(self.project.run("--debug", command, *targets, *args, target=False))

    def spawn(
        self, *args: str, failpoint: str | None = None, debug: bool = False
    ) -> subprocess.Popen[str]:
        """`python -m onepin_sync apply --auto-approve ARGS` as a child process (see `finish`)."""
        env = {k: v for k, v in os.environ.items() if k != "ONEPIN_SYNC_FAILPOINT"}
        env.update(ONEPIN_API_KEY=self.workspace.api_key, NO_COLOR="1")
        if failpoint is not None:
            env["ONEPIN_SYNC_FAILPOINT"] = failpoint
        argv = [
            sys.executable, "-m", "onepin_sync", *(["--debug"] if debug else []),
            "apply", "--auto-approve",
            "--dir", str(self.project.workflows),
            "--lockfile", str(self.project.lockfile),
            "--base-url", self.workspace.base_url,
            *args,
        ]  # fmt: skip
        return subprocess.Popen(
            argv,
            cwd=self.project.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def finish(self, process: subprocess.Popen[str]) -> CliResult:
        """Wait for a spawned run; its result, recorded and checked (code < 0: killed by -code)."""
        try:
            stdout, stderr = process.communicate(timeout=SUBPROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise AssertionError(f"the child did not end in time:\n{stdout}{stderr}") from None
        return self.observe(CliResult(process.returncode, stdout, stderr))

    def apply_direct(self, *, client: ClientOptions) -> CliResult:
        """`apply --auto-approve` through `commands.apply.run`, for client options the CLI hides
        (the per-request timeout); output and exit code as the CLI would give them."""
        project = self.project
        settings = ApplySettings(
            target=TargetOptions(
                workflows=project.workflows,
                lockfile=project.lockfile,
                api_key=self.workspace.api_key,
                base_url=self.workspace.base_url,
            ),
            auto_approve=True,
            apply=ApplyOptions(parallelism=client.parallelism),
            client=client,
        )
        env = RunEnvironment(cwd=project.root, home=Path.home(), environ=dict(os.environ))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            ui = ConsoleUi(no_color=True)
            try:
                outcome = asyncio.run(apply(settings, env, ui))
                apply_report(ui, outcome)
                code = outcome.exit_code
            except OnepinSyncError as exc:
                print_error(exc)
                code = exc.exit_code
        return self.observe(CliResult(code, out.getvalue(), err.getvalue()))

    def observe(self, result: CliResult) -> CliResult:
        """Record a run; the lockfile must parse and no secret may have leaked anywhere."""
        self.results.append(result)
        state = read_lockfile(self.project.lockfile)  # raises when damaged
        if state is not None:
            self.ever_managed.update(entry.id for entry in state.workflows.values())
        assert_no_secret(self)
        return result

    # --- the workspace, behind onepin-sync's back ----------------------------------------------

    @contextlib.contextmanager
    def outside(self) -> Iterator[httpx.Client]:
        """An API client for edits made "in the Onepin app"; its requests are not ours to check."""
        before = {r.seq for r in self.workspace.requests()}
        with httpx.Client(
            base_url=self.workspace.base_url, headers=self.workspace.headers, timeout=10
        ) as http:
            yield http
        self._ignored_seqs.update(r.seq for r in self.workspace.requests() if r.seq not in before)

    def seed_unmanaged(self, count: int, definition: dict[str, Any]) -> list[str]:
        """Create `count` workflows onepin-sync does not manage; returns their ids."""
        ids = []
        with self.outside() as http:
            for index in range(count):
                body = {"name": f"Unmanaged {index:04d}", "definition": definition}
                response = http.post(WORKFLOWS, json=body)
                response.raise_for_status()
                ids.append(response.json()["data"]["id"])
        self.unmanaged.update(ids)
        return ids

    def remote(self) -> list[dict[str, Any]]:
        """Every workflow of the workspace, through the raw API."""
        items: list[dict[str, Any]] = []
        with self.outside() as http:
            while True:
                query = {"limit": 100, "offset": len(items), "include_definition": "true"}
                page = http.get(WORKFLOWS, params=query)
                page.raise_for_status()
                body = page.json()
                items.extend(body["data"])
                if len(items) >= body["pagination"]["total"] or not body["data"]:
                    return items

    def our_requests(self) -> list[RequestRecord]:
        """The request log of this workspace, without the requests made by `outside()`."""
        return [r for r in self.workspace.requests() if r.seq not in self._ignored_seqs]


def assert_no_secret(sync: Tracked) -> None:
    """No secret in any recorded output or in any file of the project but the workflow files."""
    places = {f"output of run {i}": r.output for i, r in enumerate(sync.results, start=1)}
    for path in sync.project.root.rglob("*"):
        if path.is_file() and sync.project.workflows not in path.parents:
            places[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    for secret in sync.secrets:
        for where, text in places.items():
            assert secret not in text, f"a secret ({secret[:3]}...) leaked into {where}"


def desired_keys(sync: Tracked) -> set[str]:
    folder = sync.project.workflows
    return {
        str(p.relative_to(folder).with_suffix(""))
        for p in folder.rglob("*")
        if p.suffix in {".yaml", ".yml"} and not p.name.startswith(".")
    }


def lock_is_free(path: Path) -> bool:
    if not path.exists():
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also releases the probe's lock
    return True


def assert_invariants(
    sync: Tracked, *, converge_args: tuple[str, ...] = (), budget: float = 20.0
) -> None:
    """Converge with one more apply, a while later, then check every invariant (see the module
    docstring)."""
    sync.workspace.control.clear_faults()
    sync.later()
    converged = sync.run("apply", "--auto-approve", *converge_args)
    assert converged.code == 0, converged.output
    again = sync.run("plan", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout, again.output

    assert not sync.journal.exists(), sync.journal.read_text(encoding="utf-8")
    assert lock_is_free(sync.lock)
    lockfile = sync.project.lockfile
    leftovers = sorted(p.name for p in lockfile.parent.glob(f".{lockfile.name}.*.tmp"))
    assert leftovers == [], f"temporary lockfiles left behind: {leftovers}"

    state = read_lockfile(lockfile)
    assert state is not None
    managed = {key: entry.id for key, entry in state.workflows.items()}
    assert set(managed) == desired_keys(sync)
    assert len(set(managed.values())) == len(managed), f"two keys share a workflow: {managed}"
    remote = sync.remote()
    created = sorted(w["id"] for w in remote if w["id"] not in sync.unmanaged)
    assert created == sorted(managed.values()), "a workflow was duplicated or orphaned"
    assert sync.unmanaged <= {w["id"] for w in remote}, "an unmanaged workflow disappeared"
    masked = Redactor(sync.secrets)
    names = {w["id"]: masked.text(w["name"]) for w in remote}
    assert {key: names[wid] for key, wid in managed.items()} == {
        key: entry.name for key, entry in state.workflows.items()
    }

    for record in sync.our_requests():
        if record.method in {"GET", "HEAD"}:
            continue
        where = f"{record.method} {record.path}"
        if record.method == "POST":
            assert record.path in {WORKFLOWS, f"{WORKFLOWS}/validate"}, where
            continue
        assert record.method in {"PATCH", "DELETE"}, f"unexpected write {where}"
        match = WORKFLOW_PATH.match(record.path)
        assert match is not None, where
        assert match["id"] in sync.ever_managed, f"{where}: never a managed workflow"
        assert match["id"] not in sync.unmanaged, f"{where}: touched an unmanaged workflow"

    assert_no_secret(sync)
    elapsed = time.monotonic() - sync.started
    assert elapsed < budget, f"the test took {elapsed:.1f} s (budget {budget:g} s)"


def wait_for(
    predicate: Callable[[], object], *, timeout: float = 10.0, what: str = "a condition"
) -> None:
    """Poll `predicate()` every 10 ms until it is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


SENDING = 0.25
"""Seconds to let writes just journalled reach the wire: a write waiting for its turn is not in
flight, and a first signal skips it. Tests that signal writes in flight hold them on the server
(a latency fault) for several times this."""


def journal_intents(sync: Tracked) -> int:
    """How many intent lines the journal holds now."""
    try:
        text = sync.journal.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    return text.count('"type": "intent"')


def killed(result: CliResult) -> bool:
    return result.code == -signal.SIGKILL


# --- scenarios -----------------------------------------------------------------------------------

EXAMPLE_KEYS = (
    "education/lesson-narration",
    "marketing/product-launch-promo",
    "support/payment-reminder",
    "support/welcome-call",  # lifecycle.prevent_destroy
)


def applied_examples(sync: Tracked) -> dict[str, str]:
    """The four examples applied cleanly; returns key -> remote id."""
    sync.project.copy_examples()
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    return {key: entry["id"] for key, entry in sync.project.lock_entries().items()}


def edit_description(sync: Tracked, key: str, text: str) -> None:
    project = sync.project
    project.write(key, {**project.read(key), "description": text})


def planned_edits(sync: Tracked) -> dict[str, str]:
    """Applied examples, then two updates and one delete in the files; returns key -> id."""
    ids = applied_examples(sync)
    edit_description(sync, "education/lesson-narration", "Edited in git (1).")
    edit_description(sync, "marketing/product-launch-promo", "Edited in git (2).")
    sync.project.remove("support/payment-reminder")
    return ids


def writes_sent(sync: Tracked, method: str) -> list[RequestRecord]:
    return [r for r in sync.our_requests() if r.method == method]
