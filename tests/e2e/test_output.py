"""What users read: the human plan, `--json`, `--format markdown`, colour and `validate`."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import PROFILE
from tests.e2e.support import (
    ANSI_ESCAPE,
    WORKFLOWS,
    calls,
    recorded,
    remote_workflow,
    without_voices,
)
from tests.samples import tiny_workflow
from tests.sync_project import CliResult, SyncProject


def _create_update_delete(project: SyncProject) -> dict[str, str]:
    """alpha kept, bravo edited (name and script), charlie removed, delta new, one unmanaged."""
    for name in ("Alpha", "Bravo", "Charlie"):
        project.write(name.lower(), tiny_workflow(name))
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    ids = {key: entry["id"] for key, entry in project.lock_entries().items()}
    project.write(
        "bravo", {**tiny_workflow("Bravo 2", "Hi."), "description": "Bravo (generated for a test)"}
    )
    project.remove("charlie")
    project.write("delta", tiny_workflow("Delta"))
    return ids


def _server_note(indent: str) -> str:
    """The one line that names what a newer server adds to what it stores (`next` profile)."""
    if PROFILE != "next":
        return ""
    added = "definition.graph.nodes[script].ui, definition.graph.nodes[out].ui"
    return f"{indent}(added by the server, kept as it is: {added}, definition.layout_version)\n"


def _with_unmanaged(project: SyncProject) -> None:
    ws = project.workspace
    httpx.post(
        f"{ws.base_url}{WORKFLOWS}", json={"name": "From the app"}, headers=ws.headers
    ).raise_for_status()


def test_the_human_plan_reads_like_terraform(project: SyncProject) -> None:
    ids = _create_update_delete(project)
    _with_unmanaged(project)

    planned = project.run("plan")

    assert planned.code == 0, planned.output
    assert planned.stderr == ""
    assert planned.stdout == (
        "onepin-sync will perform the following actions:\n"
        "\n"
        "  # delta will be created (new)\n"
        '  + delta  "Delta"\n'
        '      + name: "Delta"\n'
        '      + description: "Delta (generated for a test)"\n'
        "      + nodes (2):\n"
        "          + script (source_script)\n"
        "          + out (sink_preview)\n"
        "      + edges (1):\n"
        "          + script.lines -> out.lines\n"
        "\n"
        "  # bravo will be updated in place (changed in git)\n"
        f'  ~ bravo  "Bravo 2"  id={ids["bravo"]}\n'
        '      ~ name: "Bravo" -> "Bravo 2"\n'
        '      ~ definition.graph.nodes[script].config.script_text: "Hello there." -> "Hi."\n'
        f"{_server_note('        ')}"
        "\n"
        "  # charlie will be deleted (removed from config)\n"
        f'  - charlie  "Charlie"  id={ids["charlie"]}\n'
        "\n"
        "Plan: 1 to create, 1 to update, 1 to delete.\n"
        "1 unmanaged workflow in the workspace (not in the lockfile) left untouched.\n"
    )


def test_plan_json_is_a_versioned_document(project: SyncProject) -> None:
    ids = _create_update_delete(project)
    _with_unmanaged(project)

    planned = project.run("plan", "--json")
    as_format = project.run("plan", "--format", "json")

    assert planned.code == 0, planned.output
    assert as_format.stdout == planned.stdout
    doc = json.loads(planned.stdout)
    assert (doc["format_version"], doc["kind"]) == (1, "onepin-sync-plan")
    assert doc["target"] == {
        "api_url": project.workspace.base_url,
        "workspace": project.workspace.workspace_id,
        "lockfile": str(project.lockfile),
    }
    assert doc["lockfile"]["serial"] == 1
    assert doc["summary"] == {
        "create": 1, "update": 1, "delete": 1, "conflict": 0, "refresh": 0, "drift": 0,
        "managed": 3, "unmanaged": 1, "move": 0, "forget": 0,
    }  # fmt: skip
    assert [
        (c["key"], c["action"], c["reason"], c["remote_id"], c["patch_fields"], c["field_changes"])
        for c in doc["changes"]
    ] == [
        ("delta", "create", "new", None, [], []),
        ("bravo", "update", "changed in git", ids["bravo"], ["name", "definition"], [
            {"path": ["name"], "before": "Bravo", "after": "Bravo 2"},
            {"path": ["definition", "graph", "nodes[script]", "config", "script_text"],
             "before": "Hello there.", "after": "Hi."},
        ]),
        ("charlie", "delete", "removed from config", ids["charlie"], [], []),
    ]  # fmt: skip
    assert doc["changes"][0]["after"]["name"] == "Delta"
    assert doc["changes"][2]["after"] is None


def test_plan_markdown_names_its_target_and_a_section_per_workflow(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _create_update_delete(project)
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA"):  # a CI running this suite names its own
        monkeypatch.delenv(name, raising=False)

    planned = project.run("plan", "--format", "markdown")

    assert planned.code == 0, planned.output
    assert planned.stdout == (
        "### onepin-sync plan\n"
        "\n"
        "| Target | |\n"
        "|---|---|\n"
        f"| API | `{project.workspace.base_url}` |\n"
        f"| Workspace | `{project.workspace.workspace_id}` |\n"
        "| Lockfile | `project/onepin-sync.lock` serial 1 |\n"  # relative to the run's folder
        "\n"
        "**Plan: 1 to create, 1 to update, 1 to delete.**\n"
        "\n"
        "#### Deletes (1)\n"
        "\n"
        "<details open><summary><code>- charlie</code> delete: removed from config</summary>\n"
        "\n"
        "```diff\n"
        f'-  - charlie  "Charlie"  id={ids["charlie"]}\n'
        "```\n"
        "\n"
        "</details>\n"
        "\n"
        "#### Creates (1)\n"
        "\n"
        "<details><summary><code>+ delta</code> create: new</summary>\n"
        "\n"
        "- Name: `Delta`\n"
        "- Description: `Delta (generated for a test)`\n"
        "\n"
        "| Node | Type | Config |\n"
        "|---|---|---|\n"
        '| `script` | `source_script` | script\\_text: `"Hello there."` |\n'
        "| `out` | `sink_preview` |  |\n"
        "\n"
        "Edges (1): `script.lines -> out.lines`\n"
        "\n"
        "</details>\n"
        "\n"
        "#### Updates changed in git (1)\n"
        "\n"
        "<details><summary><code>~ bravo</code> update: changed in git</summary>\n"
        "\n"
        "```diff\n"
        f'!  ~ bravo  "Bravo 2"  id={ids["bravo"]}\n'
        '!      ~ name: "Bravo" -> "Bravo 2"\n'
        '!      ~ definition.graph.nodes[script].config.script_text: "Hello there." -> "Hi."\n'
        f"{_server_note('          ')}"
        "```\n"
        "\n"
        "</details>\n"
    )


def test_the_markdown_plan_names_the_environment_and_the_commit(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    project.write("alpha", tiny_workflow("Alpha"))
    config = project.root / "onepin-sync.yaml"
    config.write_text("environments:\n  staging: {}\n", encoding="utf-8")

    args = ("--config", str(config), "--env", "staging", "--format", "markdown")
    planned = project.run("plan", *args)

    assert planned.code == 0, planned.output
    assert planned.stdout.startswith("### onepin-sync plan: `staging`\n")
    assert "| Environment | `staging` |\n" in planned.stdout
    assert "| Commit | `0123abc` |\n" in planned.stdout
    assert "` new, not written yet |\n" in planned.stdout


def test_an_empty_plan_in_markdown_says_no_changes(project: SyncProject) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    assert project.run("apply", "--auto-approve").code == 0

    planned = project.run("plan", "--format", "markdown")

    assert planned.stdout.startswith("### onepin-sync plan\n\n| Target | |\n")
    assert planned.stdout.endswith(
        "| Lockfile | `project/onepin-sync.lock` serial 1 |\n"  # relative to the run's folder
        "\n"
        "**No changes.** The workspace matches the workflow files.\n"
    )


# --- colour ---------------------------------------------------------------------------------------


def _plan_and_error(project: SyncProject, *root_options: str) -> list[CliResult]:
    """A plan with changes and a failing command, with colour forced on by the environment."""
    target = project.target_args()
    return [
        project.run(*root_options, "plan", *target, target=False),
        project.run(*root_options, "plan", *target, "--api-key", "op_live_wrong1", target=False),
    ]


@pytest.fixture
def forced_colour(project: SyncProject, monkeypatch: pytest.MonkeyPatch) -> SyncProject:
    """`project` with colour forced on (as in a CI log viewer) and NO_COLOR unset."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    project.write("alpha", tiny_workflow("Alpha"))
    return project


def test_forced_colour_shows_ansi_escapes(forced_colour: SyncProject) -> None:
    planned, failed = _plan_and_error(forced_colour)

    assert ANSI_ESCAPE in planned.stdout
    assert ANSI_ESCAPE in failed.stderr


def test_no_color_flag_removes_every_ansi_escape(forced_colour: SyncProject) -> None:
    results = _plan_and_error(forced_colour, "--no-color")

    assert [r.code for r in results] == [0, 1]
    assert "Plan: 1 to create, 0 to update, 0 to delete." in results[0].stdout
    assert results[1].stderr.startswith("Error: ")
    assert [ANSI_ESCAPE in r.stdout + r.stderr for r in results] == [False, False]


def test_no_color_variable_removes_every_ansi_escape(
    forced_colour: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    results = _plan_and_error(forced_colour)

    assert [r.code for r in results] == [0, 1]
    assert [ANSI_ESCAPE in r.stdout + r.stderr for r in results] == [False, False]


# --- validate -------------------------------------------------------------------------------------


def test_validate_offline_checks_the_files_without_any_request(project: SyncProject) -> None:
    project.copy_examples()

    with recorded(project.workspace) as sent:
        checked = project.run("validate")

    assert (checked.code, checked.stdout, checked.stderr) == (
        0, "Success: 4 workflow files valid.\n", ""
    )  # fmt: skip
    assert sent == []


def test_validate_offline_needs_no_values_and_names_the_variables_a_plan_will_need(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOP_NAME", raising=False)
    monkeypatch.delenv("PROMO_TOKEN", raising=False)
    monkeypatch.setenv("SHOP_REGION", "EU")
    text = "Hi from ${env.SHOP_NAME} (${env.SHOP_REGION}), code ${secret.PROMO_TOKEN}."
    project.write("promo", tiny_workflow("Promo", text))

    with recorded(project.workspace) as sent:
        lenient = project.run("validate")
        strict = project.run("validate", "--strict-env")

    assert (lenient.code, lenient.stderr) == (0, ""), lenient.output
    assert lenient.stdout == (
        "Success: 1 workflow file valid.\n"
        "Variables a plan will need: PROMO_TOKEN (secret, not set here), "
        "SHOP_NAME (not set here), SHOP_REGION.\n"
    )
    assert strict.code == 3, strict.output
    assert "'${env.SHOP_NAME}': environment variable SHOP_NAME is not set" in strict.stderr
    assert sent == []


def test_validate_online_asks_the_api_per_workflow_and_shows_its_warnings(
    project: SyncProject,
) -> None:
    project.copy_examples()

    with recorded(project.workspace) as sent:
        checked = project.run("validate", "--online")

    assert checked.code == 0, checked.output
    assert checked.stdout == "Success: 4 workflow files valid (checked online).\n"
    assert (
        "Warning: support/welcome-call: node voice cycle: the edges form a cycle: "
        "voice -> naturalness -> voice\n"
    ) in checked.stderr
    assert checked.stderr.count("Warning: ") == 4
    assert calls(sent) == [("POST", f"{WORKFLOWS}/validate")] * 4
    assert {tuple(r.body_keys or ()) for r in sent} == {("definition",)}


def test_validate_online_fails_a_workflow_that_is_valid_offline_but_cannot_run(
    project: SyncProject,
) -> None:
    project.copy_examples()
    key = without_voices(project)

    offline = project.run("validate")
    online = project.run("validate", "--online")

    assert offline.code == 0, offline.output
    assert online.code == 3, online.output
    assert online.stdout == ""
    assert (
        f"Error: {key}: node voice missing_voice: the generator has no voice_map: assign a voice "
        "to at least one locale\n"
    ) in online.stderr
    assert online.stderr.endswith("Error: 1 of 4 workflows are invalid.\n")


# --- secrets ---------------------------------------------------------------------------------

SECRET = "PROMO-8472-XYZZY"


def test_secrets_reach_the_api_but_no_output_lockfile_or_saved_plan(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMO_CODE", SECRET)
    project.write("promo", tiny_workflow("Promo", "Use code ${secret.PROMO_CODE} today."))
    saved = project.root / "p.json"

    outputs = [
        project.run("plan"),
        project.run("plan", "--json"),
        project.run("plan", "--format", "markdown"),
        project.run("plan", "--out", str(saved)),
        project.run("--debug", "apply", *project.target_args(), str(saved), target=False),
    ]

    assert [r.code for r in outputs] == [0, 0, 0, 0, 0], outputs[-1].output
    for result in outputs:
        assert SECRET not in result.output
        assert project.workspace.api_key not in result.output
    assert "Use code (sensitive) today." in outputs[1].stdout  # the JSON view shows the text
    assert SECRET not in saved.read_text(encoding="utf-8")
    assert SECRET not in project.lockfile.read_text(encoding="utf-8")
    remote = remote_workflow(project, project.lock_entries()["promo"]["id"])
    script = remote["definition"]["graph"]["nodes"][0]["config"]["script_text"]
    assert script == f"Use code {SECRET} today."
