"""The shipped apply recipe under CI failures: nothing lost, nothing duplicated, honest exit codes.

Every job is a fresh clone of a bare repository (tests/ci/pipeline.py) that runs the steps of
examples/ci/github/onepin-apply.yml, exactly as shipped, through the step runner
(tests/ci/runner.py): the same shell, the same `if: always()` lockfile commit, the same push.
A job is cancelled (SIGTERM, or SIGINT then SIGTERM as GitHub cancels), loses its machine
(SIGKILL, and no further step), fails its writes (exit 6), runs on an older commit, or holds the
key of another workspace. Each scenario ends with `assert_ci_invariants`: one more fresh job
converges and a fresh clone plans nothing; at most one remote workflow per key, counted by name
with the official SDK, and none lost or orphaned; every create that succeeded was a planned one
(exactly one per key) and no update or delete touched a workflow the lockfile never managed.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from onepin import OnePinClient

from onepin_sync.core.matching import SETTLE_AFTER
from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator
from tests.ci.pipeline import Pipeline
from tests.ci.runner import JobResult, JobRunner
from tests.reliability.harness import SENDING, SERVER_CLOCK_STEP, wait_for
from tests.sync_project import fresh_workspace

APPLY = "onepin-apply.yml"
CREATE = "/api/v1/workflows"


@pytest.fixture(scope="module")
def ci_emulator() -> Iterator[EmbeddedEmulator]:
    """This module's own server: its latency faults and killed clients stay out of the suite's."""
    with EmbeddedEmulator(":memory:", control=True) as running:
        yield running


@pytest.fixture(scope="module")
def ci_control(ci_emulator: EmbeddedEmulator) -> Iterator[EmulatorControl]:
    with EmulatorControl(ci_emulator.base_url) as control:
        yield control


@pytest.fixture
def ci(
    ci_emulator: EmbeddedEmulator, ci_control: EmulatorControl, tmp_path: Path
) -> Iterator[Pipeline]:
    ci_control.clear_faults()
    yield Pipeline(tmp_path, fresh_workspace(ci_control))
    ci_control.clear_faults()


def small_workflows(count: int) -> dict[str, str]:
    """`count` minimal valid workflow files (a script into a preview), `calls/call-NN`."""
    files = {}
    for n in range(1, count + 1):
        document = {
            "name": f"Call {n:02d}",
            "definition": {
                "graph": {
                    "nodes": [
                        {"id": "script", "type": "source_script",
                         "config": {"script_text": f"Hello {n:02d}"}},
                        {"id": "export", "type": "sink_preview"},
                    ],
                    "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                               "target": "export", "targetPort": "lines"}],
                }
            },
        }  # fmt: skip
        files[f"workflows/calls/call-{n:02d}.yaml"] = yaml.safe_dump(document, sort_keys=False)
    return files


def journal_intents(job: JobRunner) -> int:
    try:
        text = (job.workspace / ".onepin-sync" / "journal.jsonl").read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    return text.count('"type": "intent"')


def outputs(result: JobResult) -> str:
    return "\n".join(f"--- {s.name} ({s.outcome})\n{s.output}" for s in result.steps)


def remote_names(ws: EmulatorWorkspace) -> Counter[str]:
    """Workflow names in the workspace, through the official SDK."""
    with httpx.Client(timeout=10) as http:
        sdk = OnePinClient(token=ws.api_key, base_url=ws.base_url, max_retries=0,
                           httpx_client=http)  # fmt: skip
        return Counter(w.name for w in sdk.workflows.list(limit=100).data)


def successful_creates(ws: EmulatorWorkspace) -> int:
    return sum(
        1 for r in ws.requests() if r.method == "POST" and r.path == CREATE and r.status == 201
    )


def assert_ci_invariants(ci: Pipeline, *, converge: bool = True) -> None:
    """One more fresh job converges (unless the test's last job just did: `converge=False`),
    a fresh clone plans nothing; then every invariant of the module docstring."""
    ws = ci.workspace
    ws.control.clear_faults()
    if converge:
        final = ci.job(APPLY, "apply").run()
        assert final.status == "success", outputs(final)
    checkout = ci.clone(f"check-{time.monotonic_ns()}")
    plan = ci.run_cli(checkout, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout

    lockfile = ci.lockfile()
    assert lockfile is not None
    assert lockfile["pending"] == {}
    assert lockfile["workspace"] == ws.workspace_id
    managed = {key: entry["id"] for key, entry in lockfile["workflows"].items()}
    files = sorted((checkout / "workflows").rglob("*.yaml"))
    keys = {str(p.relative_to(checkout / "workflows").with_suffix("")) for p in files}
    assert set(managed) == keys
    names = [yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in files]
    assert remote_names(ws) == Counter(names), "a workflow was duplicated, lost or orphaned"
    assert successful_creates(ws) == len(keys), "a create that was never planned"
    ever_managed = set(managed.values())
    for record in ws.requests():
        assert record.method != "PUT"
        if record.method in {"PATCH", "DELETE"}:
            assert record.path.rsplit("/", 1)[1] in ever_managed, record.path


def pushed_lockfile(result: JobResult) -> bool:
    return "Pushed the lockfile to main." in result.step("Commit the lockfile").stdout


# --- scenarios ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signals", "code"),
    [((signal.SIGTERM,), 143), ((signal.SIGINT, signal.SIGTERM), 143)],  # the last one's
    ids=["SIGTERM", "SIGINT-then-SIGTERM"],
)
def test_a_cancelled_job_commits_what_it_did_and_the_next_job_finishes(
    ci: Pipeline, signals: tuple[signal.Signals, ...], code: int
) -> None:
    ci.seed(small_workflows(10))  # 8 creates in flight (the default parallelism), 2 queued
    ci.workspace.add_fault(kind="latency", seconds=1.2, method="POST", path=f"^{CREATE}$", times=0)
    job = ci.job(APPLY, "apply").start()
    wait_for(lambda: journal_intents(job) == 8, what="eight creates journalled")
    time.sleep(SENDING)  # and sent: in flight
    for signum in signals:
        job.cancel(signum)  # the runner signals the step's process group
        time.sleep(0.1)
    cancelled = job.wait()

    apply = cancelled.step("apply")
    assert cancelled.status == "cancelled", outputs(cancelled)
    assert (apply.outcome, apply.returncode) == ("cancelled", code)
    assert apply.stdout.count(": skipped: interrupted") == 2
    assert pushed_lockfile(cancelled), outputs(cancelled)
    assert ci.subjects()[0] == "onepin-sync: lockfile after apply (cancelled) [skip ci]"
    lockfile = ci.lockfile()
    assert lockfile is not None
    if len(signals) == 1:  # the writes in flight finished and are recorded
        assert (len(lockfile["workflows"]), len(lockfile["pending"])) == (8, 0)
        assert "writes in flight finished, the rest were skipped" in apply.stderr
    else:  # the second signal cancelled them: their creates travel as pending entries
        assert (len(lockfile["workflows"]), len(lockfile["pending"])) == (0, 8)
        assert "writes in flight were cancelled (the next run settles them)" in apply.stderr

    ci.workspace.control.clear_faults()
    wait_for(lambda: sum(remote_names(ci.workspace).values()) == 8, what="the server's creates")
    after = ci.job(APPLY, "apply").run()
    assert after.status == "success", outputs(after)
    assert "Apply complete: 2 created" in after.step("apply").stdout
    assert_ci_invariants(ci, converge=False)


def test_a_timed_out_apply_commits_its_unanswered_creates_and_the_next_job_adopts_them(
    ci: Pipeline,
) -> None:
    ci.seed(small_workflows(10))
    ci.workspace.add_fault(kind="latency", seconds=2.0, method="POST", path=f"^{CREATE}$", times=0)

    # onepin-sync's own deadline (15 min in the recipe), shortened through its variable
    timed_out = ci.job(APPLY, "apply", machine_environ={"ONEPIN_SYNC_TIMEOUT": "1"}).run()

    apply = timed_out.step("apply")
    assert (timed_out.status, apply.returncode) == ("failure", 6), outputs(timed_out)
    assert "Apply incomplete: 0 created, 0 updated, 0 deleted; 8 failed, 2 skipped." in (
        apply.output
    )
    assert pushed_lockfile(timed_out), outputs(timed_out)
    lockfile = ci.lockfile()
    assert lockfile is not None
    assert (len(lockfile["workflows"]), len(lockfile["pending"])) == (0, 8)

    ci.workspace.control.clear_faults()
    wait_for(lambda: sum(remote_names(ci.workspace).values()) == 8, what="the server's creates")
    after = ci.job(APPLY, "apply").run()
    assert after.status == "success", outputs(after)
    assert after.step("apply").stderr.count("interrupted create had completed; adopted") == 8
    assert "Apply complete: 2 created" in after.step("apply").stdout
    assert_ci_invariants(ci, converge=False)


def test_a_lost_machine_is_never_duplicated_the_guard_refuses_and_says_to_import(
    ci: Pipeline,
) -> None:
    ci.seed()
    ci.workspace.add_fault(kind="latency", seconds=0.5, method="POST", path=f"^{CREATE}$", times=0)
    job = ci.job(APPLY, "apply").start()
    wait_for(lambda: successful_creates(ci.workspace) >= 1, what="a create stored")
    job.lose_machine()  # SIGKILL: the journal and the local lockfile go with the machine
    lost = job.wait()
    assert lost.status == "lost"
    assert lost.step("apply").returncode == -signal.SIGKILL
    assert [s.name for s in lost.steps][-1] == "Apply"  # nothing ran after it
    assert ci.lockfile() is None
    time.sleep(0.6)  # the server finishes the creates it had received (0.5 s latency)
    ci.workspace.control.clear_faults()
    orphans = sum(remote_names(ci.workspace).values())
    assert 1 <= orphans <= 4

    refused = ci.job(APPLY, "apply").run()
    apply = refused.step("apply")
    assert (refused.status, apply.returncode) == ("failure", 5), outputs(refused)
    assert "possible duplicates: " in apply.stderr
    assert "Adopt them with `onepin-sync import ID --key KEY`" in apply.stderr
    assert successful_creates(ci.workspace) == orphans  # the refusal wrote nothing

    # A person follows the message: import each look-alike under its key, commit the lockfile.
    person = ci.clone("maintainer")
    for line in apply.stdout.splitlines():
        if ": conflict: possible duplicate of " in line:
            key, _, workflow_id = line.partition(": conflict: possible duplicate of ")
            adopted = ci.run_cli(person, "import", workflow_id, "--key", key)
            assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    ci.git("add", "onepin-sync.lock", cwd=person)
    ci.git("commit", "--quiet", "-m", "Adopt the workflows of the lost job", cwd=person)
    ci.git("push", "--quiet", "origin", "HEAD:main", cwd=person)
    assert len(ci.lock_entries()) == orphans
    assert_ci_invariants(ci)  # its apply creates the workflows the lost job never sent


@pytest.mark.parametrize(
    ("status", "pending"),
    [(422, []), (503, ["support/payment-reminder"])],
    ids=["4xx-refused-create", "5xx-unanswered-create"],
)
def test_a_failed_apply_commits_its_lockfile_and_the_next_job_finishes(
    ci: Pipeline, status: int, pending: list[str]
) -> None:
    ci.seed()
    ci.workspace.add_fault(kind="status", status=status, method="POST", path=f"^{CREATE}$",
                           body_contains="Payment reminder")  # fmt: skip

    failed = ci.job(APPLY, "apply").run()

    apply = failed.step("apply")
    assert (failed.status, apply.returncode) == ("failure", 6), outputs(failed)
    assert "Apply incomplete: 3 created, 0 updated, 0 deleted; 1 failed." in apply.output
    assert pushed_lockfile(failed), outputs(failed)
    assert ci.subjects()[0] == "onepin-sync: lockfile after apply (failure) [skip ci]"
    lockfile = ci.lockfile()
    assert lockfile is not None
    assert "support/payment-reminder" not in lockfile["workflows"]
    assert len(lockfile["workflows"]) == 3
    assert sorted(lockfile["pending"]) == pending  # a 503 may have created it: asked next run

    ci.workspace.control.clear_faults()
    # the next job starts after the server has had the time to finish that create
    ci.workspace.control.advance_clock((SETTLE_AFTER + SERVER_CLOCK_STEP).total_seconds())
    after = ci.job(APPLY, "apply").run()
    assert after.status == "success", outputs(after)
    assert "Apply complete: 1 created" in after.step("apply").stdout
    if pending:
        assert (
            "interrupted create had not happened; it is planned again" in after.step("apply").stderr
        )
    assert_ci_invariants(ci, converge=False)


def test_a_queued_job_on_an_older_commit_applies_the_latest_main(ci: Pipeline) -> None:
    ci.seed()
    assert ci.job(APPLY, "apply").run().status == "success"
    new_call = small_workflows(1)
    triggering = ci.push(new_call, "Add a call")  # triggers two runs: A, and B queued behind it
    first = ci.job(APPLY, "apply", sha=triggering).run()
    assert first.status == "success", outputs(first)
    assert ci.sha() != triggering  # A pushed its lockfile on top

    queued = ci.job(APPLY, "apply", sha=triggering).run()
    assert queued.status == "success", outputs(queued)
    assert "No changes." in queued.step("apply").stdout  # it checked out main, not `triggering`
    assert "The lockfile did not change." in queued.step("Commit the lockfile").stdout

    # Had it applied the triggering commit (the checkout action's default), its lockfile would
    # be stale: the duplicate guard refuses the re-create, and nothing is written.
    stale = ci.job(APPLY, "apply", sha=triggering, checkout_sha_only=True).run()
    assert stale.step("apply").returncode == 5, outputs(stale)
    assert "calls/call-01 (possible duplicate of " in stale.step("apply").stderr
    assert not pushed_lockfile(stale)
    assert successful_creates(ci.workspace) == 5
    assert_ci_invariants(ci, converge=False)  # the queued job found main converged


def test_a_key_of_another_workspace_is_refused_with_nothing_written(
    ci: Pipeline, ci_emulator: EmbeddedEmulator, ci_control: EmulatorControl
) -> None:
    ci.seed()
    assert ci.job(APPLY, "apply").run().status == "success"
    before = ci.sha()
    other = fresh_workspace(ci_control)

    wrong = ci.job(APPLY, "apply", secrets={"ONEPIN_API_KEY": other.api_key}).run()

    apply = wrong.step("apply")
    assert (wrong.status, apply.returncode) == ("failure", 3), outputs(wrong)
    assert (
        f"belongs to workspace {ci.workspace.workspace_id}, but the API key is for workspace "
        f"{other.workspace_id}; nothing was written"
    ) in apply.stderr
    assert other.api_key not in outputs(wrong)
    # only what every run asks first, together: the key's workspace, the catalogue, one page
    assert sorted((r.method, r.path) for r in other.requests()) == [
        ("GET", "/api/v1/auth/whoami"),
        ("GET", "/api/v1/nodes"),
        ("GET", "/api/v1/workflows"),
    ]
    assert "The lockfile did not change." in wrong.step("Commit the lockfile").stdout
    assert ci.sha() == before
    assert_ci_invariants(ci)
