"""The CI recipes of examples/ci: lint-clean, shaped as the README promises, and their shell
steps, exactly as shipped, run against the emulator (runner.py, pipeline.py).

Failure scenarios of the apply recipe (signals, a lost machine, failed writes, stale checkouts,
another workspace's key) are in tests/reliability/test_ci_runner.py; the plan comment in
test_plan_comment.py, what the jobs get from the CI settings in test_recipe_inputs.py, and the
GitLab recipe in test_gitlab.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import EXAMPLES, RECIPES, REPO_ROOT, VENV_BIN, Pipeline
from tests.ci.runner import Workflow
from tests.ci.samples import edited, environments, writes

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
RECIPE_FILES = sorted(p.name for p in RECIPES.glob("*.yml"))
WELCOME = "workflows/support/welcome-call.yaml"
PLAN_MARKER = "<!-- onepin-sync-plan -->"


def actionlint() -> str | None:
    return shutil.which("actionlint", path=str(VENV_BIN)) or shutil.which("actionlint")


def recipe(name: str) -> Workflow:
    return Workflow.load(RECIPES / name)


def step_named(workflow: Workflow, job: str, needle: str) -> dict[str, Any]:
    return next(dict(s) for s in workflow.steps(job) if needle in str(s.get("name", "")))


# --- static checks ----------------------------------------------------------------------------


def test_the_recipes_are_the_four_promised() -> None:
    assert RECIPE_FILES == [
        "onepin-apply.yml",
        "onepin-drift.yml",
        "onepin-matrix.yml",
        "onepin-plan.yml",
    ]


@pytest.mark.parametrize("name", RECIPE_FILES)
def test_every_github_recipe_passes_actionlint(name: str) -> None:
    binary = actionlint()
    assert binary is not None, "actionlint is a dev dependency (pip install -e '.[dev]')"
    done = subprocess.run(
        [binary, "-no-color", str(RECIPES / name)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_apply_recipe_applies_the_latest_main_one_run_at_a_time() -> None:
    apply = recipe("onepin-apply.yml")
    assert set(apply.triggers) == {"push", "workflow_dispatch"}
    assert apply.triggers["push"] == {"branches": ["main"]}
    assert apply.data["concurrency"] == {
        "group": "onepin-apply-production",
        "cancel-in-progress": False,
    }
    checkout = apply.steps("apply")[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"ref": "main", "fetch-depth": 0}
    assert apply.step("apply", "apply")["run"] == (
        "exec onepin-sync --no-color apply --auto-approve --lock-timeout 300"
    )
    commit = step_named(apply, "apply", "Commit the lockfile")
    assert commit["if"] == "always()"
    assert apply.job("apply")["timeout-minutes"] * 60 > 900  # past onepin-sync's own deadline


def test_the_plan_recipe_has_a_group_per_pull_request() -> None:
    plan = recipe("onepin-plan.yml")
    assert set(plan.triggers) == {"pull_request"}
    assert plan.data["concurrency"] == {
        "group": "onepin-plan-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
    assert "--format markdown" in plan.step("plan", "plan")["run"]


def test_the_drift_recipe_runs_nightly_outside_the_apply_group() -> None:
    drift = recipe("onepin-drift.yml")
    assert [entry["cron"] for entry in drift.triggers["schedule"]] == ["17 4 * * *"]
    assert not drift.data["concurrency"]["group"].startswith("onepin-apply")
    assert "plan --refresh-only --detailed-exitcode" in drift.step("drift", "drift")["run"]


def test_the_matrix_recipe_gives_each_environment_its_group_lockfile_and_key() -> None:
    matrix = recipe("onepin-matrix.yml")
    apply = matrix.job("apply")
    assert apply["concurrency"] == {
        "group": "onepin-apply-${{ matrix.environment }}",
        "cancel-in-progress": False,
    }
    assert apply["strategy"]["fail-fast"] is False
    assert matrix.step("apply", "apply")["env"]["ENV_API_KEY"] == (
        "${{ secrets[matrix.api_key_env] }}"
    )
    assert step_named(matrix, "apply", "Commit the lockfile")["env"]["LOCKFILE"] == (
        "${{ matrix.lockfile }}"
    )
    assert matrix.job("plan")["concurrency"]["cancel-in-progress"] is True


def test_the_pre_commit_hook_validates_the_workflows_folder(tmp_path: Path) -> None:
    hook, _ = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "onepin-sync-validate"
    assert hook["entry"] == "onepin-sync validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("workflows/support/welcome-call.yaml")
    assert files.search("workflows/a.yml")
    assert files.search("onepin-sync.yaml")
    assert not files.search("README.md")
    assert not files.search("docs/workflows.yaml")

    shutil.copytree(EXAMPLES, tmp_path / "workflows")
    # A pull request from a fork has no secrets: the hook needs none of the files' values.
    welcome = tmp_path / WELCOME
    welcome.write_text(
        welcome.read_text(encoding="utf-8").replace(
            "description:", "description: ${secret.ONEPIN_TEST_NEVER_SET}", 1
        ),
        encoding="utf-8",
    )
    command = [str(VENV_BIN / hook["entry"].split()[0]), *hook["entry"].split()[1:]]
    valid = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "ONEPIN_TEST_NEVER_SET (secret, not set here)" in valid.stdout
    (tmp_path / "workflows" / "broken.yaml").write_text("name: [\n", encoding="utf-8")
    broken = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert broken.returncode == 3, broken.stdout + broken.stderr


def test_the_pre_commit_fmt_hook_checks_the_layout(tmp_path: Path) -> None:
    _, hook = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "onepin-sync-fmt"
    assert hook["entry"] == "onepin-sync fmt --check"
    assert hook["pass_filenames"] is False
    assert re.compile(hook["files"]).search("workflows/support/welcome-call.yaml")

    shutil.copytree(EXAMPLES, tmp_path / "workflows")
    command = [str(VENV_BIN / hook["entry"].split()[0]), *hook["entry"].split()[1:]]
    tidy = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert tidy.returncode == 0, tidy.stdout + tidy.stderr
    welcome = tmp_path / WELCOME
    welcome.write_text(
        welcome.read_text(encoding="utf-8")
        .replace("  graph:", "  graph:   # reviewed", 1)
        .replace("    steps: [script,", "    steps: [ script,", 1),
        encoding="utf-8",
    )
    untidy = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert untidy.returncode == 3, untidy.stdout + untidy.stderr
    assert "welcome-call.yaml" in untidy.stdout


# --- the shell steps, run ---------------------------------------------------------------------


def test_the_apply_recipe_applies_then_commits_the_lockfile_once(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed()
    first = pipeline.job("onepin-apply.yml", "apply").run()

    assert first.status == "success", [s.output for s in first.steps]
    assert first.replaced == ["actions/checkout@v5", "actions/setup-python@v6", "install",
                              "actions/upload-artifact@v6"]  # fmt: skip
    assert "Apply complete: 4 created" in first.step("apply").stdout
    assert "Pushed the lockfile to main." in first.step("Commit the lockfile").stdout
    assert pipeline.subjects()[0] == "onepin-sync: lockfile after apply (success) [skip ci]"
    assert len(pipeline.lock_entries()) == 4
    artifacts = pipeline.root / "jobs" / "01-apply" / "artifacts"
    assert (artifacts / "onepin-sync.lock").read_text() == pipeline.show("onepin-sync.lock")
    assert writes(workspace) == ["POST /api/v1/workflows"] * 4

    second = pipeline.job("onepin-apply.yml", "apply").run()
    assert second.status == "success"
    assert "No changes." in second.step("apply").stdout
    assert "The lockfile did not change." in second.step("Commit the lockfile").stdout
    assert len(pipeline.subjects()) == 2  # no empty commit
    assert len(writes(workspace)) == 4


def test_the_lockfile_commit_rebases_on_a_main_that_moved_during_the_apply(
    pipeline: Pipeline,
) -> None:
    pipeline.seed()

    def land_a_merge(_: Path) -> None:
        pipeline.push({"docs/notes.md": "merged while the apply ran\n"}, "Unrelated merge")

    result = pipeline.job("onepin-apply.yml", "apply", after_checkout=land_a_merge).run()

    commit = result.step("Commit the lockfile")
    assert result.status == "success", commit.output
    assert "The push was refused (attempt 1); rebasing on the latest main." in commit.stdout
    assert pipeline.subjects()[:2] == [
        "onepin-sync: lockfile after apply (success) [skip ci]",
        "Unrelated merge",
    ]
    assert len(pipeline.lock_entries()) == 4


def outside_edit(workspace: EmulatorWorkspace, workflow_id: str, description: str) -> None:
    with httpx.Client(base_url=workspace.base_url, headers=workspace.headers) as http:
        http.patch(f"/api/v1/workflows/{workflow_id}", json={"description": description})


def allow_actions_to_create_pull_requests(pipeline: Pipeline) -> None:
    """The repository setting the drift recipe needs (off by default), in the fake gh's state."""
    state = {"calls": [], "comments": [], "issues": [], "next_id": 1000, "next_number": 1,
             "actions_can_create_pull_requests": True}  # fmt: skip
    pipeline.gh_state.write_text(json.dumps(state), encoding="utf-8")


def test_the_drift_recipe_keeps_one_pull_request_then_one_issue(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed_and_apply()
    allow_actions_to_create_pull_requests(pipeline)
    ids = {key: entry["id"] for key, entry in pipeline.lock_entries().items()}
    clean = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()
    assert clean.status == "success"
    assert clean.step("drift").outputs == {"drift": "false"}
    assert clean.step("pull").outcome == "skipped"

    outside_edit(workspace, ids["support/welcome-call"], "Edited in the app.")
    first = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()
    assert first.status == "success", [s.output for s in first.steps]
    assert first.step("pull").outputs == {"result": "pulled"}
    outside_edit(workspace, ids["support/welcome-call"], "Edited in the app again.")
    second = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()
    assert second.status == "success", [s.output for s in second.steps]

    state = pipeline.github_state()
    (pr,) = state["issues"]
    assert pr["pull_request"] == {"head": "onepin-sync/drift", "base": "main"}
    assert "support/welcome-call changed outside onepin-sync" in pr["body"]
    assert [c["argv"][:2] for c in state["calls"]] == [["pr", "list"], ["pr", "create"],
                                                      ["pr", "list"], ["pr", "edit"]]  # fmt: skip
    drifted = pipeline.show(WELCOME, "onepin-sync/drift")
    assert drifted is not None
    assert "Edited in the app again." in drifted
    assert pipeline.subjects("onepin-sync/drift")[0] == (
        "onepin-sync pull: edits made in the Onepin app"
    )
    assert pipeline.show(WELCOME) != drifted  # main is untouched until the PR is merged

    # Changed in git too: pull refuses (exit 5), and ONE issue says so, updated in place.
    welcome = pipeline.show(WELCOME)
    assert welcome is not None
    pipeline.push({WELCOME: edited(welcome, "Edited in git.")}, "Edit in git")
    for _ in range(2):
        refused = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()
        assert refused.status == "success", [s.output for s in refused.steps]
        assert refused.step("pull").outputs == {"result": "refused"}
    pr_again, issue = pipeline.github_state()["issues"]
    assert pr_again == pr
    assert issue["pull_request"] is None
    assert issue["body"].startswith("<!-- onepin-sync-drift -->")
    assert "changed both in git and outside onepin-sync: support/welcome-call" in issue["body"]
    edits = [f"PATCH /api/v1/workflows/{ids['support/welcome-call']}"] * 2  # "in the app"
    assert writes(workspace) == ["POST /api/v1/workflows"] * 4 + edits  # drift jobs write nothing


def test_the_drift_pull_request_needs_the_setting_the_recipe_names(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    setting = "Allow GitHub Actions to create and approve pull requests"
    assert setting in (RECIPES / "onepin-drift.yml").read_text(encoding="utf-8")
    assert setting in (RECIPES.parent / "README.md").read_text(encoding="utf-8")
    pipeline.seed_and_apply()
    ids = {key: entry["id"] for key, entry in pipeline.lock_entries().items()}
    outside_edit(workspace, ids["support/welcome-call"], "Edited in the app.")

    refused = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()  # the default
    opened = refused.step("Open or update the drift pull request")
    assert (refused.status, opened.returncode) == ("failure", 1), opened.output
    assert "GitHub Actions is not permitted to create or approve pull requests" in opened.stderr
    assert (
        f"::error::could not open the drift pull request; with GITHUB_TOKEN it needs the "
        f'setting "{setting}"' in opened.stdout
    )
    assert pipeline.github_state()["issues"] == []

    allow_actions_to_create_pull_requests(pipeline)
    allowed = pipeline.job("onepin-drift.yml", "drift", event="schedule").run()
    assert allowed.status == "success", [s.output for s in allowed.steps]
    (pr,) = pipeline.github_state()["issues"]
    assert pr["pull_request"] == {"head": "onepin-sync/drift", "base": "main"}


def test_the_matrix_recipe_applies_each_environment_with_its_own_key_and_lockfile(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    staging = workspace.control.new_workspace()
    project = environments(workspace.base_url, "production", "staging")
    pipeline.seed()
    pipeline.push({"onepin-sync.yaml": project}, "Two environments")
    secrets = {
        "ONEPIN_PRODUCTION_API_KEY": workspace.api_key,
        "ONEPIN_STAGING_API_KEY": staging.api_key,
    }

    listing = pipeline.job("onepin-matrix.yml", "environments", secrets=secrets).run()
    assert listing.status == "success", [s.output for s in listing.steps]
    needs = {"environments": {"outputs": listing.outputs, "result": "success"}}
    runner = pipeline.job("onepin-matrix.yml", "apply", secrets=secrets, needs=needs)
    combinations = runner.matrix_of(needs)
    assert combinations == [
        {"environment": "production", "lockfile": "onepin-sync.production.lock",
         "api_key_env": "ONEPIN_PRODUCTION_API_KEY"},
        {"environment": "staging", "lockfile": "onepin-sync.staging.lock",
         "api_key_env": "ONEPIN_STAGING_API_KEY"},
    ]  # fmt: skip
    plan = pipeline.job("onepin-matrix.yml", "plan", secrets=secrets, needs=needs).run()
    assert plan.status == "skipped"  # a push: the plan job is for pull requests

    jobs = [
        pipeline.job("onepin-matrix.yml", "apply", secrets=secrets, needs=needs, matrix=m).start()
        for m in combinations
    ]  # in parallel, as the matrix runs them
    for job in jobs:
        result = job.wait()
        assert result.status == "success", [s.output for s in result.steps]

    for name, key in (("production", workspace), ("staging", staging)):
        lockfile = pipeline.lockfile(path=f"onepin-sync.{name}.lock")
        assert lockfile is not None
        assert lockfile["workspace"] == key.workspace_id
        assert len(lockfile["workflows"]) == 4
    assert pipeline.show("onepin-sync.lock") is None
    assert len(writes(workspace)) == 4
    staged = workspace.control.requests(workspace_id=staging.workspace_id)
    assert [r.method for r in staged].count("POST") == 4
