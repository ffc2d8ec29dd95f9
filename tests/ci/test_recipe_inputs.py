"""What the recipes' jobs get from the repository and the CI settings, run against the emulator in
fresh clones: files using a node type newer than the catalogue bundled with onepin-sync (a fresh
runner has no cached catalogue).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import RECIPES, Pipeline

LOUD = "workflows/support/loudness-checked.yaml"
PLAN_MARKER = "<!-- onepin-sync-plan -->"


def loudness_checked(description: str) -> str:
    """A workflow with `validator_loudness`, a node type only the `next` server knows."""
    document = {
        "name": "Loudness checked",
        "description": description,
        "definition": {
            "graph": {
                "nodes": [
                    {"id": "script", "type": "source_script",
                     "config": {"script_text": "Hello there."}},
                    {"id": "loud", "type": "validator_loudness"},
                    {"id": "export", "type": "sink_preview"},
                ],
                "edges": [
                    {"id": "e1", "source": "script", "sourcePort": "lines", "target": "loud",
                     "targetPort": "lines"},
                    {"id": "e2", "source": "loud", "sourcePort": "pass", "target": "export",
                     "targetPort": "lines"},
                ],
            }
        },
    }  # fmt: skip
    return yaml.safe_dump(document, sort_keys=False)


def test_no_recipe_checks_the_files_against_the_bundled_catalogue_before_planning() -> None:
    """Offline `validate` knows only the bundled (or a cached) catalogue; plan and apply check
    the same rules against the server's, so a recipe leaves the files' checks to them."""
    for recipe in [*sorted(RECIPES.glob("*.yml")), RECIPES.parent / "gitlab" / ".gitlab-ci.yml"]:
        text = recipe.read_text(encoding="utf-8")
        assert "onepin-sync --no-color validate" not in text, recipe.name
        assert "onepin-sync validate" not in text, recipe.name


def test_a_node_type_newer_than_the_bundled_catalogue_applies_and_plans_in_fresh_clones(
    workspace_next: EmulatorWorkspace, tmp_path: Path
) -> None:
    pipeline = Pipeline(tmp_path, workspace_next)
    pipeline.seed({LOUD: loudness_checked("Every line at -16 LUFS.")})

    applied = pipeline.job("onepin-apply.yml", "apply").run()
    assert applied.status == "success", [s.output for s in applied.steps]
    assert "Apply complete: 1 created" in applied.step("apply").stdout
    assert list(pipeline.lock_entries()) == ["support/loudness-checked"]

    sha = pipeline.push({LOUD: loudness_checked("Every line at -14 LUFS.")}, "PR 3", branch="pr-3")
    event = {"pull_request": {"number": 3, "head": {"sha": sha}}}
    planned = pipeline.job(
        "onepin-plan.yml", "plan", event="pull_request", sha=sha, github={"event": event}
    ).run()
    assert planned.status == "success", [s.output for s in planned.steps]
    assert planned.step("plan").outputs == {"exitcode": "2"}
    (comment,) = pipeline.github_state()["comments"]
    assert comment["body"].startswith(PLAN_MARKER + "\n### onepin-sync plan")
    assert "**Plan: 0 to create, 1 to update, 0 to delete.**" in comment["body"]
