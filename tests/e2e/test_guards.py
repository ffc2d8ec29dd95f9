"""Guards that refuse destructive plans before anything is written (exit 3, zero writes)."""

from __future__ import annotations

import shutil

from onepin import OnePinClient

from onepin_sync.emulator.control import EmulatorControl
from tests.e2e.support import WORKFLOWS, apply_examples, recorded, writes
from tests.sync_project import SyncProject


def test_removing_a_prevent_destroy_workflow_is_refused(project: SyncProject) -> None:
    apply_examples(project)
    project.remove("support/welcome-call")  # its file says lifecycle.prevent_destroy: true

    with recorded(project.workspace) as sent:
        refused = project.run("apply", "--auto-approve")

    assert refused.code == 3, refused.output
    assert refused.stderr.startswith(
        "Error: support/welcome-call: its file was removed but the lockfile records "
        "lifecycle.prevent_destroy;"
    )
    assert writes(sent) == []


def test_deleting_more_than_the_limit_needs_allow_mass_delete(project: SyncProject) -> None:
    ids = apply_examples(project)
    project.remove("support/payment-reminder")
    project.remove("marketing/product-launch-promo")  # 2 of 4: the limit is a quarter, 1

    with recorded(project.workspace) as sent:
        refused = project.run("apply", "--auto-approve")
    with recorded(project.workspace) as allowed_sent:
        allowed = project.run("apply", "--auto-approve", "--allow-mass-delete")

    assert refused.code == 3, refused.output
    assert (
        "Error: the plan deletes 2 workflows, more than the limit of 1; pass --allow-mass-delete"
        in refused.stderr
    )
    assert writes(sent) == []
    assert allowed.code == 0, allowed.output
    assert sorted(r.path for r in writes(allowed_sent)) == sorted(
        f"{WORKFLOWS}/{ids[k]}"
        for k in ("support/payment-reminder", "marketing/product-launch-promo")
    )


def test_an_empty_listing_while_the_lockfile_manages_workflows_is_refused(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    for workflow_id in ids.values():  # emptied behind our back, in the same workspace
        sdk.workflows.delete_workflow(workflow_id)

    with recorded(project.workspace) as sent:
        refused = project.run("apply", "--auto-approve")

    assert refused.code == 3, refused.output
    assert refused.stderr == (
        "Error: the API lists no workflows but the lockfile manages 4: wrong API key, workspace "
        "or base URL? (pass --allow-empty-remote to re-create them)\n"
    )
    assert writes(sent) == []


def test_a_key_of_another_workspace_is_refused_before_any_write(
    project: SyncProject, emulator_control: EmulatorControl
) -> None:
    apply_examples(project)
    lock_before = project.lockfile.read_text(encoding="utf-8")
    elsewhere = emulator_control.new_workspace()  # a valid key of another workspace

    for command in (["apply", "--auto-approve"], ["apply", "--refresh-only", "--auto-approve"]):
        refused = project.run(*command, "--api-key", elsewhere.api_key)

        assert refused.code == 3, refused.output
        assert refused.stderr == (
            f"Error: {project.lockfile} belongs to workspace {project.workspace.workspace_id}, "
            f"but the API key is for workspace {elsewhere.workspace_id}; nothing was written. "
            f"Use the key of {project.workspace.workspace_id}, or another --lockfile (or an "
            "environment in onepin-sync.yaml) for the other workspace\n"
        )
    assert project.lockfile.read_text(encoding="utf-8") == lock_before
    sent = emulator_control.requests(workspace_id=elsewhere.workspace_id)
    assert {r.method for r in sent} == {"GET"}


def test_a_key_without_the_write_scope_is_refused_before_any_write(
    project: SyncProject, emulator_control: EmulatorControl
) -> None:
    project.copy_examples()
    workspace = project.workspace.workspace_id
    reader = emulator_control.new_key(workspace, ["workflows:read"])

    with recorded(project.workspace) as sent:
        planned = project.run("plan", "--api-key", reader.api_key)
        refused = project.run("apply", "--auto-approve", "--api-key", reader.api_key)

    assert planned.code == 0, planned.output  # reading needs no more
    assert refused.code == 1, refused.output
    assert refused.stderr == (
        "Error: the API key lacks the workflows:write scope that the plan's writes need (it "
        "has: workflows:read); nothing was written. Use a key with workflows:write\n"
    )
    assert writes(sent) == []
    assert not project.lockfile.exists()


def test_an_empty_or_missing_workflows_folder_never_plans_deleting_everything(
    project: SyncProject,
) -> None:
    apply_examples(project)
    shutil.rmtree(project.workflows)

    with recorded(project.workspace) as sent:
        missing = project.run("apply", "--auto-approve")
        project.workflows.mkdir()
        empty = project.run("apply", "--auto-approve")

    assert (missing.code, empty.code) == (3, 3)
    assert "the workflows folder is missing but the lockfile manages 4 workflows" in missing.stderr
    assert "the workflows folder has no workflow files but the lockfile manages 4" in empty.stderr
    assert writes(sent) == []


def test_lifting_prevent_destroy_is_recorded_without_a_write_then_the_delete_goes_through(
    project: SyncProject,
) -> None:
    ids = apply_examples(project)
    key = "support/welcome-call"
    project.write(key, {**project.read(key), "lifecycle": {"prevent_destroy": False}})

    with recorded(project.workspace) as lifted_sent:
        lifted = project.run("apply", "--auto-approve")
    project.remove(key)
    with recorded(project.workspace) as removed_sent:
        removed = project.run("apply", "--auto-approve")

    assert lifted.code == 0, lifted.output
    assert "Lockfile refreshed; no API writes were needed." in lifted.stdout
    assert writes(lifted_sent) == []
    assert removed.code == 0, removed.output
    assert [(r.method, r.path) for r in writes(removed_sent)] == [
        ("DELETE", f"{WORKFLOWS}/{ids[key]}")
    ]
    assert key not in project.lock_entries()
