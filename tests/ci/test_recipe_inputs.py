"""What the recipes' jobs get from the repository and the CI settings, run against the emulator in
fresh clones: files using a node type newer than the catalogue bundled with onepin-sync (a fresh
runner has no cached catalogue), the values of `${env.…}`/`${secret.…}` placeholders, and the
credentials of a state in object storage. The recipes show the last two as commented `env:`
lines (`# NAME: ${{ … }}`); `uncommented` turns them on, as a user copying a recipe would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import GITIGNORE, RECIPES, VENV_BIN, Pipeline
from tests.ci.runner import Workflow
from tests.ci.samples import GREETING, loudness_checked, with_placeholders
from tests.s3 import S3Bucket

LOUD = "workflows/support/loudness-checked.yaml"
PLAN_MARKER = "<!-- onepin-sync-plan -->"


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

    planned = pipeline.pull_request(3, {LOUD: loudness_checked("Every line at -14 LUFS.")}).run()
    assert planned.status == "success", [s.output for s in planned.steps]
    assert planned.step("plan").outputs == {"exitcode": "2"}
    (comment,) = pipeline.github_state()["comments"]
    assert comment["body"].startswith(PLAN_MARKER + "\n### onepin-sync plan")
    assert "**Plan: 0 to create, 1 to update, 0 to delete.**" in comment["body"]


# --- placeholders and remote state: the commented env lines --------------------------------------

EXAMPLE = re.compile(
    r"^(?P<indent> *)# (?P<name>[A-Z][A-Z0-9_]*): (?P<value>\$\{\{ .+ \}\})$", re.M
)
PLACEHOLDERS = ("SUPPORT_PHONE", "VOICE_TOKEN")
S3_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL")
RECIPE_FILES = sorted(p.name for p in RECIPES.glob("*.yml"))


def uncommented(text: str, names: Collection[str]) -> str:
    """`text` with its commented example lines `# NAME: ${{ … }}` for `names` turned on."""

    def turn_on(match: re.Match[str]) -> str:
        if match["name"] not in names:
            return match[0]
        return f"{match['indent']}{match['name']}: {match['value']}"

    return EXAMPLE.sub(turn_on, text)


def api_steps(workflow: Workflow) -> list[tuple[str, dict[str, Any]]]:
    """(job, step) for every step that runs onepin-sync with an Onepin key."""
    return [
        (job, dict(step))
        for job in workflow.data["jobs"]
        for step in workflow.steps(job)
        if "onepin-sync" in str(step.get("run", ""))
        and {"ONEPIN_API_KEY", "ENV_API_KEY"} & set(step.get("env") or {})
    ]


@pytest.mark.parametrize("name", RECIPE_FILES)
def test_every_step_that_runs_onepin_sync_shows_how_to_pass_placeholders_and_state_credentials(
    name: str, tmp_path: Path
) -> None:
    text = (RECIPES / name).read_text(encoding="utf-8")
    steps = api_steps(Workflow.load(RECIPES / name))
    assert steps, name
    for _, step in steps:
        assert not set(step["env"]) & {*PLACEHOLDERS, *S3_VARIABLES}  # commented as shipped
    turned_on = tmp_path / name
    turned_on.write_text(uncommented(text, {*PLACEHOLDERS, *S3_VARIABLES}), encoding="utf-8")
    for job, step in api_steps(Workflow.load(turned_on)):
        assert {*PLACEHOLDERS, *S3_VARIABLES} <= set(step["env"]), (job, step.get("name"))
    binary = shutil.which("actionlint", path=str(VENV_BIN)) or shutil.which("actionlint")
    assert binary is not None, "actionlint is a dev dependency (pip install -e '.[dev]')"
    linted = subprocess.run([binary, "-no-color", str(turned_on)], capture_output=True,
                            text=True, check=False)  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr


def recipes_with(names: Collection[str]) -> dict[str, str | None]:
    """The GitHub recipes, as committed to a repository, with the examples for `names` on."""
    return {
        f".github/workflows/{p.name}": uncommented(p.read_text(encoding="utf-8"), names)
        for p in sorted(RECIPES.glob("*.yml"))
    }


def test_placeholder_values_from_ci_variables_and_secrets_reach_apply_plan_and_drift(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    callback = "workflows/support/callback.yaml"
    pipeline.seed({callback: with_placeholders("Calls back.")})
    secrets = {"ONEPIN_API_KEY": workspace.api_key, "VOICE_TOKEN": "vk-0123456789abcdef"}
    variables = {"ONEPIN_BASE_URL": workspace.base_url, "SUPPORT_PHONE": "+44 20 7946 0000"}

    as_shipped = pipeline.job("onepin-apply.yml", "apply", secrets=secrets,
                              variables=variables).run()  # fmt: skip
    assert (as_shipped.status, as_shipped.step("apply").returncode) == ("failure", 3)
    assert "environment variable SUPPORT_PHONE is not set" in as_shipped.step("apply").stderr

    pipeline.push(recipes_with(PLACEHOLDERS), "Pass the placeholders' values")
    applied = pipeline.job("onepin-apply.yml", "apply", secrets=secrets,
                           variables=variables).run()  # fmt: skip
    assert applied.status == "success", [s.output for s in applied.steps]
    assert "Apply complete: 1 created" in applied.step("apply").stdout
    assert "vk-0123456789abcdef" not in applied.step("apply").output

    drift = pipeline.job("onepin-drift.yml", "drift", event="schedule", secrets=secrets,
                         variables=variables).run()  # fmt: skip
    assert drift.status == "success", [s.output for s in drift.steps]
    assert drift.step("drift").outputs == {"drift": "false"}

    changed = {callback: with_placeholders("Calls back soon.")}
    planned = pipeline.pull_request(4, changed, secrets=secrets, variables=variables).run()
    assert planned.status == "success", [s.output for s in planned.steps]
    assert planned.step("plan").outputs == {"exitcode": "2"}
    (comment,) = pipeline.github_state()["comments"]
    assert "Calls back soon. Call us on +44 20 7946 0000." in comment["body"]
    assert "vk-0123456789abcdef" not in comment["body"]


def test_remote_state_credentials_from_ci_secrets_reach_apply_and_plan(
    pipeline: Pipeline, workspace: EmulatorWorkspace, s3_state: S3Bucket
) -> None:
    state_url = s3_state.url("onepin/production.lock")
    project = f"workflows: workflows\nstate:\n  url: {state_url}\n"
    pipeline.seed({"workflows/greeting.yaml": GREETING})
    pipeline.push({"onepin-sync.yaml": project, ".gitignore": GITIGNORE,
                   **recipes_with(S3_VARIABLES)}, "State in S3")  # fmt: skip
    aws = s3_state.env()
    secrets = {"ONEPIN_API_KEY": workspace.api_key, "AWS_ACCESS_KEY_ID": aws["AWS_ACCESS_KEY_ID"],
               "AWS_SECRET_ACCESS_KEY": aws["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip
    variables = {"ONEPIN_BASE_URL": workspace.base_url, "AWS_REGION": aws["AWS_REGION"],
                 "AWS_ENDPOINT_URL": aws["AWS_ENDPOINT_URL"]}  # fmt: skip

    applied = pipeline.job("onepin-apply.yml", "apply", secrets=secrets,
                           variables=variables).run()  # fmt: skip
    assert applied.status == "success", [s.output for s in applied.steps]
    assert "Apply complete: 1 created" in applied.step("apply").stdout
    assert "No lockfile was written." in applied.step("Commit the lockfile").stdout
    assert "onepin/production.lock" in s3_state.objects()
    assert pipeline.show("onepin-sync.lock") is None
    assert aws["AWS_SECRET_ACCESS_KEY"] not in "".join(s.output for s in applied.steps)

    unrelated = {"docs/notes.md": "no workflow change\n"}
    planned = pipeline.pull_request(5, unrelated, secrets=secrets, variables=variables).run()
    assert planned.status == "success", [s.output for s in planned.steps]
    assert planned.step("plan").outputs == {"exitcode": "0"}  # the state in S3: nothing to do


def test_the_matrix_tells_environments_apart_by_their_state_in_object_storage(
    pipeline: Pipeline,
) -> None:
    def listing(environments: str) -> Any:
        project = f"workflows: workflows\nstate:\n  url: s3://team/shared.lock\n{environments}"
        pipeline.push({"onepin-sync.yaml": project}, "Environments")
        return pipeline.job("onepin-matrix.yml", "environments", secrets={}).run()

    pipeline.seed({})
    own = listing(
        "environments:\n"
        "  production: {api_key_env: ONEPIN_PRODUCTION_API_KEY,"
        " state: {url: 's3://team/production.lock'}}\n"
        "  staging: {api_key_env: ONEPIN_STAGING_API_KEY, lockfile: onepin-sync.staging.lock}\n"
    )
    assert own.status == "success", [s.output for s in own.steps]
    listed = json.loads(own.outputs["matrix"])["include"]
    assert [m["environment"] for m in listed] == ["production", "staging"]
    shared = listing(
        "environments:\n"
        "  production: {api_key_env: ONEPIN_PRODUCTION_API_KEY}\n"
        "  staging: {api_key_env: ONEPIN_STAGING_API_KEY}\n"
    )
    assert shared.status == "failure"
    assert (
        "::error file=onepin-sync.yaml::staging: shares its state s3://team/shared.lock with "
        "production" in shared.step("list").stdout
    )
