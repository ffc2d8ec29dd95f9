"""`pull`: accepting edits made in the Onepin app into the workflow files."""

from __future__ import annotations

import difflib
from typing import Any

import httpx
import pytest
from onepin import OnePinClient

from tests.e2e.support import recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

KEY = "support/payment-reminder"


def _edit_remote(project: SyncProject, key: str, **fields: object) -> None:
    ws = project.workspace
    workflow_id = project.lock_entries()[key]["id"]
    url = f"{ws.base_url}/api/v1/workflows/{workflow_id}"
    httpx.patch(url, json=fields, headers=ws.headers).raise_for_status()


def test_pull_rewrites_the_drifted_file_and_the_next_plan_is_empty(project: SyncProject) -> None:
    project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0
    original = project.path(KEY).read_text(encoding="utf-8")
    _edit_remote(project, KEY, description="Tweaked in the web app.")

    result = project.run("pull")

    assert result.code == 0, result.output
    assert f"Rewrote {project.path(KEY)}" in result.stdout
    assert project.read(KEY)["description"] == "Tweaked in the web app."
    text = project.path(KEY).read_text(encoding="utf-8")
    assert text.startswith(original.split("\n", 1)[0])  # the schema comment line is kept
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    # The pulled entry records the rewritten file and the listing's spelling: nothing left.
    assert "refreshed entries" not in plan.stdout, plan.stdout
    pulled = project.lock_entries()[KEY]
    assert pulled["file_hash"]
    assert pulled["listed_hash"]
    untouched = project.path("support/welcome-call").read_text(encoding="utf-8")
    assert "lifecycle" in untouched  # other files are not rewritten


def test_pull_keeps_lifecycle_and_refuses_conflicts_without_force(project: SyncProject) -> None:
    project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0
    key = "support/welcome-call"
    _edit_remote(project, key, name="Welcome (renamed in app)")
    document = project.read(key)
    document["description"] = "Edited in git too."
    project.write(key, document)

    refused = project.run("pull")
    assert refused.code == 5
    assert "support/welcome-call" in refused.stderr
    assert project.read(key)["description"] == "Edited in git too."

    forced = project.run("pull", "--force")
    assert forced.code == 0, forced.output
    pulled = project.read(key)
    assert pulled["name"] == "Welcome (renamed in app)"
    assert pulled["lifecycle"] == {"prevent_destroy": True}
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_refuses_files_with_interpolation(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREETING", "Hello there")
    project.copy_examples()
    document = project.read(KEY)
    document["definition"]["graph"]["nodes"][0]["config"]["script_text"] = "${env.GREETING}"
    project.write(KEY, document)
    assert project.run("apply", "--auto-approve").code == 0
    _edit_remote(project, KEY, description="Tweaked in the web app.")

    result = project.run("pull", KEY)

    assert result.code == 3
    assert "would write their values into it" in result.stderr
    assert "${env.GREETING}" in project.path(KEY).read_text(encoding="utf-8")


def test_pull_names_every_file_it_refuses_at_once(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files with interpolation and one conflict: one error names all three, writes none."""
    monkeypatch.setenv("GREETING", "Hello there")
    project.copy_examples()
    interpolated = ["support/payment-reminder", "support/welcome-call"]
    for key in interpolated:
        document = project.read(key)
        document["definition"]["graph"]["nodes"][0]["config"]["script_text"] = "${env.GREETING}"
        project.write(key, document)
    assert project.run("apply", "--auto-approve").code == 0
    conflicted = "education/lesson-narration"
    for key in [*interpolated, conflicted]:
        _edit_remote(project, key, description="Tweaked in the web app.")
    project.write(conflicted, {**project.read(conflicted), "description": "Edited in git too."})
    before = {key: project.path(key).read_text(encoding="utf-8") for key in interpolated}

    result = project.run("pull")

    assert result.code == 3, result.output
    for key in [*interpolated, conflicted]:
        assert key in result.stderr
    assert {key: project.path(key).read_text(encoding="utf-8") for key in interpolated} == before


def test_pull_refuses_a_workflow_holding_secrets_the_file_no_longer_names(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "vt-4Kq81ZpRa")
    project.copy_examples()
    document = project.read(KEY)
    script = document["definition"]["graph"]["nodes"][0]["config"]
    script["script_text"] = "Code ${secret.TOKEN}."
    project.write(KEY, document)
    assert project.run("apply", "--auto-approve").code == 0
    script["script_text"] = "Code withheld."  # not applied yet: the workspace holds the secret
    project.write(KEY, document)
    _edit_remote(project, KEY, description="Tweaked in the web app.")

    result = project.run("pull", "--force", KEY)

    assert result.code == 3, result.output
    assert "holds secrets in support/payment-reminder where the last apply" in result.stderr
    assert "vt-4Kq81ZpRa" not in project.path(KEY).read_text(encoding="utf-8")


def test_pull_with_nothing_to_pull_says_so(project: SyncProject) -> None:
    project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0
    result = project.run("pull")
    assert result.code == 0
    assert "Nothing to pull" in result.stdout
    unknown = project.run("pull", "no/such-key")
    assert unknown.code == 3
    assert "not managed" in unknown.stderr


COMMENTED = """\
# yaml-language-server: $schema=../schemas/workflow.schema.json
# Reads a short greeting; reviewed by the support team.
name: 'Greeting'   # the name agents see
description: Says hello.
definition:
  graph:
    nodes:
    # the script comes first
    - id: script
      type: source_script
      config: {script_text: "Hello there!", source_language: en-us}  # keep it short
    - id: voice
      type: operator_generator
      config:
        speed: 1.0     # tuned by hand
        voice_map:
          en-us: [{voice_id: v1, provider: p, model: m}]
    - {id: out, type: sink_preview}
    edges:
    - {id: e1, source: script, sourcePort: lines, target: voice, targetPort: lines}
    - {id: e2, source: voice, sourcePort: lines, target: out, targetPort: lines}
# end of file
"""


def _ui_edit_speed(sdk: OnePinClient, workflow_id: str, speed: float) -> None:
    """What the app does when someone moves the speed slider: PATCH the whole definition."""
    definition: dict[str, Any] = sdk.workflows.get(workflow_id).data.definition
    for node in definition["graph"]["nodes"]:
        if node["id"] == "voice":
            node["config"]["speed"] = speed
    sdk.workflows.patch_workflow(workflow_id, definition=definition)


def test_a_ui_edit_pulled_into_a_commented_file_changes_exactly_the_edited_line(
    project: SyncProject, sdk: OnePinClient
) -> None:
    project.path("greeting").write_text(COMMENTED, encoding="utf-8")
    assert project.run("apply", "--auto-approve").code == 0
    _ui_edit_speed(sdk, project.lock_entries()["greeting"]["id"], 1.25)

    with recorded(project.workspace) as sent:
        dry = project.run("pull", "--dry-run")
    assert dry.code == 0, dry.output
    assert writes(sent) == []
    assert project.path("greeting").read_text(encoding="utf-8") == COMMENTED
    assert "-        speed: 1.0     # tuned by hand\n+        speed: 1.25    # tuned" in dry.stdout

    pulled = project.run("pull")

    assert pulled.code == 0, pulled.output
    after = project.path("greeting").read_text(encoding="utf-8")
    changed = [
        line
        for line in difflib.unified_diff(COMMENTED.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-        speed: 1.0     # tuned by hand",
        "+        speed: 1.25    # tuned by hand",
    ]
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_a_ui_edit_pulled_into_a_windows_checkout_keeps_its_line_ends(
    project: SyncProject, sdk: OnePinClient
) -> None:
    crlf = COMMENTED.replace("\n", "\r\n").encode()
    project.path("greeting").write_bytes(crlf)
    assert project.run("apply", "--auto-approve").code == 0
    _ui_edit_speed(sdk, project.lock_entries()["greeting"]["id"], 1.25)

    pulled = project.run("pull")

    assert pulled.code == 0, pulled.output
    edited = "        speed: 1.0     # tuned by hand"
    expected = COMMENTED.replace(edited, "        speed: 1.25    # tuned by hand")
    assert project.path("greeting").read_bytes() == expected.replace("\n", "\r\n").encode()
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_writes_text_that_looks_like_a_placeholder_literally(project: SyncProject) -> None:
    project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0
    _edit_remote(project, KEY, description="Costs ${env.HOME} and $${x}, as typed in the app.")

    result = project.run("pull", KEY)

    assert result.code == 0, result.output
    text = project.path(KEY).read_text(encoding="utf-8")
    assert "Costs $${env.HOME} and $$${x}, as typed in the app." in text
    assert project.read(KEY)["description"] == (
        "Costs $${env.HOME} and $$${x}, as typed in the app."
    )
    assert project.run("plan", "--detailed-exitcode").code == 0
    _edit_remote(project, KEY, description="Edited again in the app.")
    assert project.run("pull", KEY).code == 0  # a literal `$${` is no placeholder to refuse
    assert project.read(KEY)["description"] == "Edited again in the app."


def test_pull_of_a_key_or_target_the_lockfile_lacks_sends_nothing(project: SyncProject) -> None:
    project.copy_examples()
    assert project.run("apply", "--auto-approve").code == 0

    with recorded(project.workspace) as sent:
        key = project.run("pull", "support/nope")
        target = project.run("pull", "--target", "nope/*")

    assert (key.code, target.code) == (3, 3), key.output + target.output
    assert "Error: not managed (not in the lockfile): support/nope" in key.stderr
    assert "--target nope/* matches no workflow" in target.stderr
    assert sent == []


def test_a_pulled_edit_keeps_a_canonical_file_canonical(
    project: SyncProject, sdk: OnePinClient
) -> None:
    """A one-line script edited into two lines in the app: its mapping, on one line in the file,
    can no longer be (multi-line text never is), so the pull lays it out as fmt would, and the
    pre-commit hook (fmt --check) passes on the drift pull request."""
    project.write("greeting", tiny_workflow("Greeting", text="Hello there."))
    assert project.run("fmt").code == 0
    assert project.run("apply", "--auto-approve").code == 0
    workflow_id = project.lock_entries()["greeting"]["id"]
    definition: dict[str, Any] = sdk.workflows.get(workflow_id).data.definition
    definition["graph"]["nodes"][0]["config"]["script_text"] = "Line one\r\nLine two"
    sdk.workflows.patch_workflow(workflow_id, definition=definition)

    pulled = project.run("pull")

    assert pulled.code == 0, pulled.output
    assert 'script_text: "Line one\\r\\nLine two"' in project.path("greeting").read_text("utf-8")
    assert project.run("fmt", "--check").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0
