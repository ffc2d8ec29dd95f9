"""Every documented exit code, produced the way a user meets it:
0 ok · 1 error · 2 changes (--detailed-exitcode) · 3 invalid input · 4 lock held · 5 stale plan or
conflict · 6 apply partly failed. (2 and 5 are also shown in test_apply_cycle and test_saved_plans.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onepin_sync.state.statelock import StateLock
from tests.e2e.support import WORKFLOWS, apply_examples, recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject, run_cli


def _lock_path(project: SyncProject) -> Path:
    return project.root / ".onepin-sync" / "lock"


# --- 3: invalid input ----------------------------------------------------------------------------


def test_invalid_workflow_files_exit_3_with_one_line_per_problem_and_no_request(
    project: SyncProject,
) -> None:
    project.copy_examples()
    (project.workflows / "broken.yaml").write_text(
        "name: 5\ndescription: fine\ndefinition: {}\nextra: 1\n", encoding="utf-8"
    )
    (project.workflows / "support" / "dup.yaml").write_text(
        "name: a\nname: b\ndefinition: {}\n", encoding="utf-8"
    )

    with recorded(project.workspace) as sent:
        planned = project.run("plan")
        applied = project.run("apply", "--auto-approve")

    broken = project.workflows / "broken.yaml"
    dup = project.workflows / "support" / "dup.yaml"
    expected = (
        f"Error: {broken}:1:7: name: expected a string, got integer 5 — quote it\n"
        f"Error: {broken}:4:1: unknown field 'extra' (allowed: name, description, lifecycle, "
        "definition)\n"
        f"Error: {dup}:2:1: duplicate key 'name' (first at line 1)\n"
        "Error: 3 problems in workflow files\n"
    )
    assert (planned.code, planned.stdout, planned.stderr) == (3, "", expected)
    assert (applied.code, applied.stdout, applied.stderr) == (3, "", expected)
    assert sent == []
    assert not project.lockfile.exists()


def test_an_applied_file_edited_into_a_mistake_is_refused_and_nothing_is_sent(
    project: SyncProject,
) -> None:
    """Its neighbours are kept as applied without being parsed: the edited one is read in full,
    refused where it is wrong, and the run sends nothing."""
    apply_examples(project)
    edited = project.path("support/payment-reminder")
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("name:", "name: [unclosed", 1), encoding="utf-8")

    with recorded(project.workspace) as sent:
        planned = project.run("plan")

    assert planned.code == 3, planned.output
    assert planned.stderr.startswith(f"Error: {edited}:"), planned.stderr
    assert sent == []


def test_an_unknown_option_is_a_usage_error_exit_3(project: SyncProject) -> None:
    result = project.run("plan", "--no-such-option")

    assert result.code == 3
    assert "Error: No such option '--no-such-option'" in result.stderr


def test_a_plan_file_that_cannot_be_written_exits_3_before_any_request(
    project: SyncProject,
) -> None:
    project.copy_examples()
    missing = project.root / "no-such-folder" / "plan.json"

    with recorded(project.workspace) as sent:
        folder = project.run("plan", "--out", str(project.root))
        typo = project.run("plan", "--out", str(missing))

    assert (folder.code, typo.code) == (3, 3), folder.output + typo.output
    assert folder.stderr == f"Error: --out {project.root} is a folder; name the file to write\n"
    assert typo.stderr == (f"Error: --out {missing}: the folder {missing.parent} does not exist\n")
    assert not missing.parent.exists()  # never created
    assert sent == []


def test_a_plan_file_never_replaces_one_of_the_projects_own_files(project: SyncProject) -> None:
    keys = project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0
    project_file = project.root / "onepin-sync.yaml"
    project_file.write_text("workflows: workflows\n", encoding="utf-8")
    journal = project.root / ".onepin-sync" / "journal.jsonl"
    own = [project.lockfile, project.path(keys[0]), journal, project.workflows / "plan.json"]
    before = {path: path.read_bytes() for path in [*own, project_file] if path.exists()}

    with recorded(project.workspace) as sent:
        for path in own:
            for command in ("plan", "import --all"):
                result = project.run(*command.split(), "--out", str(path))
                assert result.code == 3, result.output
                assert f"--out {path} is one of the project's own files" in result.stderr
        with_config = run_cli(["plan", "--config", str(project_file), *project.target_args(),
                               "--out", str(project_file)])  # fmt: skip

    assert with_config.code == 3, with_config.output
    assert "is one of the project's own files" in with_config.stderr
    assert sent == []
    assert {path: path.read_bytes() for path in before} == before
    assert not journal.exists()
    assert not (project.workflows / "plan.json").exists()


def test_a_workspace_that_is_no_uuid_or_a_wait_that_is_no_number_exits_3_and_sends_nothing(
    project: SyncProject,
) -> None:
    project.copy_examples()

    with recorded(project.workspace) as sent:
        workspace = project.run("plan", "--workspace", "my-team")
        forever = project.run("apply", "--auto-approve", "--lock-timeout", "nan")

    assert (workspace.code, forever.code) == (3, 3), workspace.output + forever.output
    assert "must be a workspace id, a UUID like" in workspace.stderr
    assert "Invalid value for '--lock-timeout': 'nan' is not a finite number." in forever.stderr
    assert sent == []


def test_a_workspace_id_in_capitals_is_the_same_workspace(project: SyncProject) -> None:
    project.copy_examples()
    workspace = project.workspace.workspace_id

    planned = project.run("plan", "--workspace", workspace.upper())

    assert planned.code == 0, planned.output
    assert "Plan: 4 to create, 0 to update, 0 to delete." in planned.stdout


def test_a_bad_value_from_an_environment_variable_is_named_as_such(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.copy_examples()
    monkeypatch.setenv("ONEPIN_SYNC_TIMEOUT", "abc")

    result = project.run("plan")

    assert result.code == 3, result.output
    assert result.stderr.endswith(
        "Error: Invalid value for '--timeout': 'abc' is not a finite number "
        "(from $ONEPIN_SYNC_TIMEOUT).\n"
    )


def test_options_that_exclude_each_other_are_a_usage_error(project: SyncProject) -> None:
    project.copy_examples()

    emulator = project.run("plan", "--emulator", "--base-url", "http://127.0.0.1:9")
    formats = project.run("plan", "--json", "--format", "markdown")

    assert (emulator.code, formats.code) == (3, 3), emulator.output + formats.output
    assert emulator.stderr.endswith(
        "Error: --emulator runs against the embedded emulator, so --api-key, --base-url cannot "
        "be given with it\n"
    )  # the project's own target options come first
    assert formats.stderr.endswith("Error: --json and --format markdown exclude each other\n")


def test_apply_without_approval_and_without_a_tty_exits_3_and_sends_nothing(
    project: SyncProject,
) -> None:
    project.copy_examples()

    with recorded(project.workspace) as sent:
        refused = project.run("apply")

    assert refused.code == 3, refused.output
    assert refused.stderr == (
        "Error: apply needs approval: pass --auto-approve (CI) or run it in a terminal, or apply "
        "a saved plan file\n"
    )
    assert sent == []
    assert not project.lockfile.exists()


# --- 1: errors -----------------------------------------------------------------------------------


def test_a_corrupt_lockfile_is_refused_with_exit_1_never_treated_as_empty(
    project: SyncProject,
) -> None:
    apply_examples(project)
    text = project.lockfile.read_text(encoding="utf-8")
    project.lockfile.write_text(text[: len(text) // 2], encoding="utf-8")  # a bad merge, say

    with recorded(project.workspace) as sent:
        planned = project.run("plan")
        applied = project.run("apply", "--auto-approve")

    for result in (planned, applied):
        assert result.code == 1, result.output
        assert "the lockfile is not valid JSON" in result.stderr
        assert "refusing to treat it as empty" in result.stderr
    assert writes(sent) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id", "../../auth/whoami", "workflows.{key}.id: not a workflow id (a lower-case UUID)"),
        ("remote_hash", "sha256:x", "workflows.{key}.remote_hash: not a hash (sha256: and 64 "),
        ("key", "../../evil key", "workflows: key '../../evil key': '..' cannot be part of a"),
        ("serial", -1, "serial: Input should be greater than or equal to 0"),
    ],
)
def test_a_lockfile_field_onepin_sync_never_writes_is_damage_and_nothing_is_sent(
    project: SyncProject, field: str, value: object, message: str
) -> None:
    apply_examples(project)
    lockfile = json.loads(project.lockfile.read_text(encoding="utf-8"))
    key = sorted(lockfile["workflows"])[0]
    if field == "key":
        lockfile["workflows"][value] = lockfile["workflows"].pop(key)
    elif field == "serial":
        lockfile["serial"] = value
    else:
        lockfile["workflows"][key][field] = value
    project.lockfile.write_text(json.dumps(lockfile), encoding="utf-8")
    before = project.lockfile.read_bytes()

    with recorded(project.workspace) as sent:
        results = [project.run(*args) for args in (("plan",), ("apply", "--auto-approve"))]

    for result in results:
        assert result.code == 1, result.output
        damaged = f"Error: {project.lockfile}: damaged lockfile: {message.format(key=key)}"
        assert result.stderr.startswith(damaged)
        assert result.stderr.endswith("; restore it from git\n")
        assert result.stderr.count("\n") == 1
    assert sent == []
    assert project.lockfile.read_bytes() == before


def test_a_key_the_api_refuses_exits_1(project: SyncProject) -> None:
    project.copy_examples()

    result = project.run("plan", "--api-key", "op_live_thisKeyDoesNotExist0000000000")

    assert result.code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert "op_live_thisKeyDoesNotExist0000000000" not in result.output


# --- 4: lock held --------------------------------------------------------------------------------


def test_apply_while_another_run_holds_the_lock_exits_4_and_names_the_holder(
    project: SyncProject,
) -> None:
    project.copy_examples()

    with StateLock(_lock_path(project)) as held, recorded(project.workspace) as sent:
        blocked = project.run("apply", "--auto-approve")

    assert blocked.code == 4, blocked.output
    assert f"lock id {held.lock_id}" in blocked.stderr
    assert f"onepin-sync force-unlock {held.lock_id}" in blocked.stderr
    assert sent == []


def test_force_unlock_releases_a_stuck_lock_so_the_next_apply_runs(project: SyncProject) -> None:
    project.copy_examples()
    args = ("--lockfile", str(project.lockfile))

    with StateLock(_lock_path(project)) as stuck:
        wrong = project.run("force-unlock", "not-the-id", *args, target=False)
        released = project.run("force-unlock", stuck.lock_id, *args, target=False)
        applied = project.run("apply", "--auto-approve")

    assert wrong.code == 3, wrong.output
    assert f"does not match the holder's lock id {stuck.lock_id}" in wrong.stderr
    assert released.code == 0, released.output
    assert released.stdout == f"Released the state lock {stuck.lock_id}.\n"
    assert applied.code == 0, applied.output
    assert len(project.lock_entries()) == 4


# --- 6: apply partly failed ----------------------------------------------------------------------


def test_a_write_the_api_refuses_makes_apply_exit_6_and_records_the_rest(
    project: SyncProject,
) -> None:
    for name in ("Alpha", "Bravo", "Charlie"):
        project.write(f"team/{name.lower()}", tiny_workflow(name))
    project.workspace.add_fault(kind="status", status=422, method="POST", body_contains="Bravo")

    with recorded(project.workspace) as sent:
        failed = project.run("apply", "--auto-approve")

    assert failed.code == 6, failed.output
    assert "team/bravo: failed:" in failed.stdout
    assert "Apply incomplete: 2 created, 0 updated, 0 deleted; 1 failed." in failed.stderr
    assert sorted((r.method, r.status) for r in writes(sent)) == [
        ("POST", 201), ("POST", 201), ("POST", 422)
    ]  # fmt: skip
    assert sorted(project.lock_entries()) == ["team/alpha", "team/charlie"]

    with recorded(project.workspace) as sent:
        retried = project.run("apply", "--auto-approve")

    assert retried.code == 0, retried.output
    assert [(r.method, r.path) for r in writes(sent)] == [("POST", WORKFLOWS)]
    assert sorted(project.lock_entries()) == ["team/alpha", "team/bravo", "team/charlie"]


def test_a_failed_update_stops_the_line_unless_continue_on_error(project: SyncProject) -> None:
    for name in ("Alpha", "Bravo"):
        project.write(name.lower(), tiny_workflow(name))
    assert project.run("apply", "--auto-approve").code == 0
    before = project.lock_entries()
    for name in ("Alpha", "Bravo"):
        project.write(name.lower(), {**tiny_workflow(name), "description": f"{name} v2"})
    project.workspace.add_fault(
        kind="status", status=422, method="PATCH", body_contains="Alpha", times=0
    )
    one_at_a_time = ("--auto-approve", "--parallelism", "1")

    with recorded(project.workspace) as stopped_sent:
        stopped = project.run("apply", *one_at_a_time)
    after_stop = project.lock_entries()
    with recorded(project.workspace) as continued_sent:
        continued = project.run("apply", *one_at_a_time, "--continue-on-error")

    assert stopped.code == 6, stopped.output
    assert "alpha: failed:" in stopped.stdout
    assert "bravo: skipped: an earlier write failed" in stopped.stdout
    assert "Apply incomplete: 0 created, 0 updated, 0 deleted; 1 failed, 1 skipped." in (
        stopped.stderr
    )
    assert [(r.method, r.status) for r in writes(stopped_sent)] == [("PATCH", 422)]
    assert after_stop == before
    assert continued.code == 6, continued.output
    assert "Apply incomplete: 0 created, 1 updated, 0 deleted; 1 failed." in continued.stderr
    assert [(r.method, r.status) for r in writes(continued_sent)] == [
        ("PATCH", 422), ("PATCH", 200)
    ]  # fmt: skip
    after = project.lock_entries()
    assert after["alpha"] == before["alpha"]  # the failed write left its entry alone
    assert after["bravo"]["applied_hash"] != before["bravo"]["applied_hash"]
