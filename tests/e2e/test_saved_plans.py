"""`plan --out FILE` then `apply FILE`: exactly the saved plan, or nothing when it went stale."""

from __future__ import annotations

import json

import pytest
from onepin import OnePinClient

from onepin_sync.emulator.control import EmulatorControl
from tests.e2e.support import (
    WORKFLOWS,
    apply_examples,
    calls,
    first_calls,
    recorded,
    remote_workflow,
    writes,
)
from tests.sync_project import SyncProject

KEY = "support/payment-reminder"
NESTED = "not an onepin-sync plan file (nested too deeply)"


def _edit_description(project: SyncProject, key: str, text: str) -> None:
    project.write(key, {**project.read(key), "description": text})


def test_apply_of_a_saved_plan_applies_exactly_it_without_asking(project: SyncProject) -> None:
    ids = apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"

    planned = project.run("plan", "--out", str(saved))
    with recorded(project.workspace) as sent:
        applied = project.run("apply", str(saved))  # no --auto-approve, no TTY

    assert planned.code == 0, planned.output
    assert f"Saved the plan to {saved}. Apply exactly it with: onepin-sync apply {saved}" in (
        planned.stdout
    )
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert [(c["key"], c["action"], c["patch_fields"]) for c in doc["changes"]] == [
        (KEY, "update", ["description"])
    ]
    assert applied.code == 0, applied.output
    assert "Apply complete: 0 created, 1 updated, 0 deleted." in applied.stdout
    # whoami with one listing that checks the plan still holds, the write, the verification
    assert calls(sent) == [*first_calls(sent, 1), ("PATCH", f"{WORKFLOWS}/{ids[KEY]}"),
                           ("GET", WORKFLOWS)]  # fmt: skip
    assert writes(sent)[0].body_keys == ["description"]
    assert remote_workflow(project, ids[KEY])["description"] == "Edited in git."
    # The write recorded the file it was applied from and the listing's spelling, as a plain
    # apply does: the next plan has no bookkeeping left to record.
    replanned = project.run("plan")
    assert "No changes." in replanned.stdout
    assert "refreshed entries" not in replanned.stdout, replanned.stdout


def test_a_saved_plan_made_stale_by_a_remote_edit_is_refused(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    sdk.workflows.patch_workflow(ids[KEY], name="Renamed in the app")
    lock_before = project.lockfile.read_text(encoding="utf-8")

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert "the workspace changed since the plan; nothing was written" in refused.stderr
    assert f"{KEY}: changed remotely since the plan" in refused.stderr
    assert calls(sent) == first_calls(sent, 1)
    assert project.lockfile.read_text(encoding="utf-8") == lock_before
    remote = remote_workflow(project, ids[KEY])
    assert (remote["name"], remote["description"]) == (
        "Renamed in the app",
        "Reminds customers of an upcoming direct debit; amounts and dates read aloud.",
    )


def test_a_saved_plan_whose_workflow_was_deleted_remotely_is_refused(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    sdk.workflows.delete_workflow(ids[KEY])

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert f"{KEY}: deleted remotely since the plan" in refused.stderr
    assert writes(sent) == []


def test_a_saved_plan_whose_lockfile_moved_on_is_refused(project: SyncProject) -> None:
    apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    other = "education/lesson-narration"
    _edit_description(project, other, "Another apply ran in between.")
    assert project.run("apply", "--auto-approve").code == 0  # moves the serial on
    lock_before = project.lockfile.read_text(encoding="utf-8")

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert f"{saved} is stale: the lockfile moved on since it was made (serial 1 -> 2)" in (
        refused.stderr
    )
    assert writes(sent) == []
    assert project.lockfile.read_text(encoding="utf-8") == lock_before


def test_a_saved_plan_is_refused_when_the_files_changed_since(project: SyncProject) -> None:
    apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    _edit_description(project, KEY, "Edited again after the plan.")

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert f"{KEY} changed in the workflow files since the plan was made" in refused.stderr
    assert writes(sent) == []


def test_a_saved_plan_verifies_its_own_changes_not_files_edited_after_it(
    project: SyncProject,
) -> None:
    """A pull request's plan applied after another file changed on main: the apply carries out
    exactly its plan, and its verification checks what it wrote, not the other file."""
    apply_examples(project)
    _edit_description(project, KEY, "Edited in git.")
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    other = "support/welcome-call"
    _edit_description(project, other, "Edited by another pull request.")

    applied = project.run("apply", str(saved), "--json")

    assert applied.code == 0, applied.output
    document = json.loads(applied.stdout)
    assert (document["verified"], document["leftover"]) == (True, [])
    assert "the server rewrote" not in applied.stderr
    assert f"# {other} will be updated in place" in project.run("plan").stdout  # still to do


def test_a_saved_plan_with_nothing_to_do_sends_no_request_after_the_lockfile_check(
    project: SyncProject,
) -> None:
    apply_examples(project)
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0

    with recorded(project.workspace) as sent:
        applied = project.run("apply", str(saved))

    assert applied.code == 0, applied.output
    assert "No changes." in applied.stdout
    assert sent == []


def test_the_first_apply_of_a_project_can_be_a_saved_plan(project: SyncProject) -> None:
    keys = project.copy_examples()
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    assert not project.lockfile.exists()  # plan writes nothing but the plan file

    with recorded(project.workspace) as sent:
        applied = project.run("apply", str(saved))

    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert first_calls(sent, 1)
    assert [r.method for r in sent[3:]] == ["POST", "POST", "POST", "POST", "GET"]
    assert sorted(project.lock_entries()) == keys
    lock = json.loads(project.lockfile.read_text(encoding="utf-8"))
    assert lock["lineage"] == json.loads(saved.read_text(encoding="utf-8"))["lockfile"]["lineage"]
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_a_saved_plan_made_before_the_first_apply_is_stale_after_it(project: SyncProject) -> None:
    project.copy_examples()
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    assert project.run("apply", "--auto-approve").code == 0

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert f"{saved} is stale: it was made for another lockfile (lineage " in refused.stderr
    assert sent == []


def test_an_api_key_given_as_the_plan_file_is_never_echoed(project: SyncProject) -> None:
    project.copy_examples()
    key = project.workspace.api_key

    result = project.run("apply", key)

    assert result.code == 3
    assert key not in result.output
    assert "looks like an API key" in result.stderr


def test_a_first_apply_saved_plan_is_refused_with_a_key_of_another_workspace(
    project: SyncProject, emulator_control: EmulatorControl
) -> None:
    project.copy_examples()
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    elsewhere = emulator_control.new_workspace()  # a valid key, of another workspace

    refused = project.run("apply", str(saved), "--api-key", elsewhere.api_key)

    assert refused.code == 3, refused.output
    assert refused.stderr == (
        f"Error: {saved} was made for workspace {project.workspace.workspace_id}, but the API key "
        f"is for workspace {elsewhere.workspace_id}; nothing was written\n"
    )
    assert not project.lockfile.exists()
    sent = emulator_control.requests(workspace_id=elsewhere.workspace_id)
    assert {r.method for r in sent} == {"GET"}


def test_a_first_apply_saved_plan_applied_again_from_another_checkout_creates_nothing_twice(
    project: SyncProject,
) -> None:
    """A CI job re-run on the same plan artifact, in a fresh checkout without the lockfile the
    first run wrote: the workflows it created are look-alikes the plan did not show."""
    project.copy_examples()
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    assert project.run("apply", str(saved)).code == 0
    again = SyncProject(project.root / "again", project.workspace)
    again.copy_examples()

    with recorded(project.workspace) as sent:
        refused = again.run("apply", str(saved))

    assert refused.code == 5, refused.output
    assert "the workspace changed since the plan; nothing was written: " in refused.stderr
    assert (
        f"{KEY}: a workflow of the same name appeared since the plan "
        f"({project.lock_entries()[KEY]['id']})"
    ) in refused.stderr
    assert writes(sent) == []
    assert not again.lockfile.exists()


def test_a_saved_plan_refuses_the_options_that_choose_what_to_plan(project: SyncProject) -> None:
    project.copy_examples()
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved), "--target", KEY, "--refresh-only")

    assert refused.code == 3, refused.output
    assert refused.stderr.endswith(
        "Error: --refresh-only, --target cannot be used with a saved plan file: the plan already "
        "says what to change (pass them to plan instead)\n"
    )
    assert sent == []
    assert not project.lockfile.exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param("not json\n", "cannot read the plan file (Expecting value: ", id="not-json"),
        pytest.param("[" * 100_000 + "]" * 100_000, NESTED, id="a-deep-list"),
        pytest.param(
            '{"kind": "onepin-sync-plan", "format_version": 1, "changes": '
            + "[" * 5_000
            + "]" * 5_000
            + "}",
            NESTED,
            id="a-deep-list-in-a-plan",
        ),
    ],
)
def test_a_file_that_is_not_a_plan_is_refused_in_one_line_before_any_request(
    project: SyncProject, text: str, why: str
) -> None:
    apply_examples(project)
    before = project.lockfile.read_bytes()
    saved = project.root / "p.json"
    saved.write_text(text, encoding="utf-8")

    with recorded(project.workspace) as sent:
        refused = project.run("apply", str(saved))

    assert refused.code == 3, refused.output
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"Error: {saved}: {why}")
    assert refused.stderr.count("\n") == 1
    assert sent == []
    assert project.lockfile.read_bytes() == before
