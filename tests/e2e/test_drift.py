"""Changes made outside onepin-sync (through the official `onepin` SDK): drift, deletions behind
our back, unmanaged workflows and conflicts."""

from __future__ import annotations

from datetime import datetime

from onepin import OnePinClient

from tests.e2e.support import (
    NODES,
    WHOAMI,
    WORKFLOWS,
    apply_examples,
    calls,
    first_calls,
    plan_json,
    recorded,
    remote_workflow,
    writes,
)
from tests.sync_project import SyncProject

KEY = "support/payment-reminder"
YAML_DESCRIPTION = "Reminds customers of an upcoming direct debit; amounts and dates read aloud."


def test_an_sdk_edit_shows_as_drift_and_apply_reverts_it(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.")

    plan = project.run("plan", "--detailed-exitcode")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert plan.code == 2, plan.output
    assert f"  # {KEY} will be updated in place (changed outside onepin-sync)" in plan.stdout
    assert "-Edited in the app." in plan.stdout
    assert f"+{YAML_DESCRIPTION}" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout
    assert applied.code == 0, applied.output
    [patch] = writes(sent)
    assert (patch.method, patch.path, patch.body_keys) == (
        "PATCH", f"{WORKFLOWS}/{ids[KEY]}", ["description"]
    )  # fmt: skip
    assert remote_workflow(project, ids[KEY])["description"] == YAML_DESCRIPTION
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_refresh_only_accepts_the_sdk_edit_into_the_lockfile(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    before = project.lock_entries()[KEY]
    edited = sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.").data

    plan = project.run("plan", "--refresh-only")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--refresh-only", "--auto-approve")
    after = project.lock_entries()[KEY]
    following = project.run("plan", "--detailed-exitcode")

    assert plan.code == 0, plan.output
    assert "Plan:" not in plan.stdout
    assert "The lockfile will record 1 refreshed entries." in plan.stdout
    assert applied.code == 0, applied.output
    assert "Lockfile refreshed; no API writes were needed." in applied.stdout
    assert calls(sent) == first_calls(sent, 1)
    assert after["remote_hash"] != before["remote_hash"]
    assert after["applied_hash"] == before["applied_hash"]
    assert datetime.fromisoformat(after["remote_updated_at"]) == edited.updated_at
    assert following.code == 0, following.output
    assert "No changes." not in following.stdout
    assert "The workflow files differ from the workspace: 1 workflow differs" in following.stdout
    assert "`onepin-sync pull` writes those changes into the files" in following.stdout
    assert f"  < {KEY}: description" in following.stdout
    assert remote_workflow(project, ids[KEY])["description"] == "Edited in the app."
    with recorded(project.workspace) as pulling:
        pulled = project.run("pull")
    assert pulled.code == 0, pulled.output
    assert writes(pulling) == []
    assert project.read(KEY)["description"] == "Edited in the app."
    assert "accepted_remote" not in project.lock_entries()[KEY]
    assert "No changes." in project.run("plan").stdout


def test_a_refresh_only_plan_that_finds_drift_exits_2_and_names_it(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.")

    plan = project.run("plan", "--refresh-only", "--detailed-exitcode")

    assert plan.code == 2, plan.output
    assert f"{KEY} changed outside onepin-sync" in plan.stdout


def test_the_markdown_plan_names_drift_for_a_pull_request(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.")

    plan = project.run("plan", "--refresh-only", "--detailed-exitcode", "--format", "markdown")

    assert plan.code == 2, plan.output
    assert "**Refresh: 1 change outside onepin-sync.**" in plan.stdout
    assert f"| `{KEY}` | changed outside onepin-sync |" in plan.stdout
    assert "No changes." not in plan.stdout


def test_a_workflow_deleted_behind_our_back_is_recreated_with_a_new_id(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    sdk.workflows.delete_workflow(ids[KEY])

    plan = project.run("plan")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert f"  # {KEY} will be created (missing remotely)" in plan.stdout
    assert "Plan: 1 to create, 0 to update, 0 to delete." in plan.stdout
    assert applied.code == 0, applied.output
    # the listing misses the id, one GET confirms it is gone, one POST re-creates it
    assert calls(sent) == [
        *first_calls(sent, 1), ("GET", f"{WORKFLOWS}/{ids[KEY]}"), ("POST", WORKFLOWS),
        ("GET", WORKFLOWS),
    ]  # fmt: skip
    new_id = project.lock_entries()[KEY]["id"]
    assert new_id != ids[KEY]
    assert remote_workflow(project, new_id)["name"] == "Payment reminder"
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_unmanaged_workflow_is_counted_and_never_touched(
    project: SyncProject, sdk: OnePinClient
) -> None:
    stranger = sdk.workflows.create_workflow(name="Made in the app", description="hands off").data
    with recorded(project.workspace) as sent:
        ids = apply_examples(project)
        plan = project.run("plan")
        doc = project.read(KEY)
        project.write(KEY, {**doc, "description": "Edited in git."})
        edited = project.run("apply", "--auto-approve")
        project.remove("marketing/product-launch-promo")
        removed = project.run("apply", "--auto-approve")

    assert "1 unmanaged workflow in the workspace (not in the lockfile) left untouched." in (
        plan.stdout
    )
    assert (edited.code, removed.code) == (0, 0), edited.output + removed.output
    assert stranger.id not in ids.values()
    assert [r for r in sent if stranger.id in r.path] == []
    assert {r.path for r in sent if r.method == "GET"} == {WHOAMI, NODES, WORKFLOWS}
    now = remote_workflow(project, stranger.id)
    assert (now["name"], now["description"]) == ("Made in the app", "hands off")
    assert datetime.fromisoformat(now["updated_at"]) == stranger.updated_at
    assert stranger.id not in {e["id"] for e in project.lock_entries().values()}


def test_a_conflict_is_refused_with_exit_5_and_nothing_written(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.")
    project.write(KEY, {**project.read(KEY), "description": "Edited in git."})
    sdk.workflows.delete_workflow(ids["support/welcome-call"])  # a harmless change alongside

    plan = project.run("plan")
    with recorded(project.workspace) as sent:
        refused = project.run("apply", "--auto-approve")

    assert (
        f"  # {KEY} will be updated in place (changed in git and outside onepin-sync)"
        in plan.stdout
    )
    assert '      ~ description: "Edited in the app." -> "Edited in git."' in plan.stdout
    assert "1 conflict(s): changed in git and outside onepin-sync" in plan.stdout
    assert refused.code == 5, refused.output
    assert f"Error: changed both in git and outside onepin-sync: {KEY};" in refused.stderr
    # the report still lists every planned change
    assert f"{KEY}: conflict: changed in git and outside onepin-sync" in refused.stdout
    assert "support/welcome-call: skipped: not applied: the plan has conflicts" in refused.stdout
    assert writes(sent) == []
    assert remote_workflow(project, ids[KEY])["description"] == "Edited in the app."


def test_force_overwrites_a_conflict(project: SyncProject, sdk: OnePinClient) -> None:
    ids = apply_examples(project)
    sdk.workflows.patch_workflow(ids[KEY], description="Edited in the app.")
    project.write(KEY, {**project.read(KEY), "description": "Edited in git."})

    with recorded(project.workspace) as sent:
        forced = project.run("apply", "--auto-approve", "--force")

    assert forced.code == 0, forced.output
    assert [(r.method, r.body_keys) for r in writes(sent)] == [("PATCH", ["description"])]
    assert remote_workflow(project, ids[KEY])["description"] == "Edited in git."
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_sdk_read_modify_write_of_one_voice_shows_only_that_voice(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    key = "support/welcome-call"
    definition = sdk.workflows.get(ids[key]).data.definition  # migrated: config_version, floats
    voice = next(n for n in definition["graph"]["nodes"] if n["id"] == "voice")
    voice["config"]["voice_map"]["fr-fr"][0]["voice_id"] = "fr-FR-HenriNeural"
    sdk.workflows.patch_workflow(ids[key], definition=definition)

    planned = plan_json(project)
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    [change] = planned["changes"]
    assert (change["key"], change["reason"], change["patch_fields"]) == (
        key, "changed outside onepin-sync", ["definition"]
    )  # fmt: skip
    [field] = change["field_changes"]
    assert field["path"] == ["definition", "graph", "nodes[voice]", "config", "voice_map", "fr-fr"]
    assert field["before"][0]["voice_id"] == "fr-FR-HenriNeural"
    assert field["after"][0]["voice_id"] == "fr-FR-DeniseNeural"
    assert applied.code == 0, applied.output
    assert [(r.method, r.body_keys) for r in writes(sent)] == [("PATCH", ["definition"])]
    assert "Verified: a fresh plan shows no changes." in applied.stdout


def test_an_sdk_write_that_changes_nothing_is_not_drift(
    project: SyncProject, sdk: OnePinClient
) -> None:
    ids = apply_examples(project)
    current = sdk.workflows.get(ids[KEY]).data
    sdk.workflows.patch_workflow(ids[KEY], name=current.name, definition=current.definition)

    planned = project.run("plan", "--detailed-exitcode")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert planned.code == 0, planned.output
    assert planned.stdout.startswith("No changes.")
    assert applied.code == 0, applied.output
    assert writes(sent) == []
    assert datetime.fromisoformat(project.lock_entries()[KEY]["remote_updated_at"]) > (
        current.updated_at
    )  # only the recorded updated_at moved on


def test_keys_added_in_the_app_survive_an_update_of_the_definition(
    project: SyncProject, sdk: OnePinClient
) -> None:
    """Keys the file does not set are "kept as it is": the update sends the definition whole,
    so it carries them, from a fresh plan and from a saved one alike."""
    ids = apply_examples(project)
    key = "support/welcome-call"
    definition = sdk.workflows.get(ids[key]).data.definition
    voice = next(n for n in definition["graph"]["nodes"] if n["id"] == "voice")
    voice["ui"] = {"color": "red"}
    definition["layout"] = {"zoom": 1.5}
    sdk.workflows.patch_workflow(ids[key], definition=definition)
    assert project.run("apply", "--auto-approve").code == 0  # only records what the app did

    for attempt, saved in enumerate((None, project.root / "p.json")):
        document = project.read(key)
        edited = next(n for n in document["definition"]["graph"]["nodes"] if n["id"] == "voice")
        edited["name"] = f"Voice, edit {attempt}"
        project.write(key, document)
        if saved is None:
            applied = project.run("apply", "--auto-approve")
        else:
            assert project.run("plan", "--out", str(saved)).code == 0
            applied = project.run("apply", str(saved))

        assert applied.code == 0, applied.output
        assert "(added by the server, kept as it is: " in applied.stdout
        assert "Verified: a fresh plan shows no changes." in applied.stdout
        after = remote_workflow(project, ids[key])["definition"]
        node = next(n for n in after["graph"]["nodes"] if n["id"] == "voice")
        assert (node["name"], node["ui"]) == (f"Voice, edit {attempt}", {"color": "red"})
        assert after["layout"] == {"zoom": 1.5}
