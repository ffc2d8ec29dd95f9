"""What `init` writes comes from templates inside the package: the CI recipes and pre-commit
hooks are the repository's own files, byte for byte, and the schema is the generated one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from onepin_sync.cli.onboarding import CI_SYSTEMS
from onepin_sync.files.fileformat import workflow_json_schema_text
from onepin_sync.files.scaffold import (
    CI_RECIPES,
    SCHEMA_FILE,
    gitignore_addition,
    pre_commit_config,
    scaffold_files,
    schema_comment,
    template,
)

REPO = Path(__file__).resolve().parents[2]
UPDATE_VARIABLE = "ONEPIN_SYNC_UPDATE_SCAFFOLD"
PACKAGED = REPO / "src" / "onepin_sync" / "scaffold"
COPIES = {
    "pre-commit-hooks.yaml": REPO / ".pre-commit-hooks.yaml",
    "ci/gitlab/gitlab-ci.yml": REPO / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml",
    **{
        f"ci/github/{p.name}": p
        for p in sorted((REPO / "examples" / "ci" / "github").glob("*.yml"))
    },
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_the_packaged_copies_are_the_repository_files(name: str) -> None:
    source = COPIES[name].read_text(encoding="utf-8")
    if os.environ.get(UPDATE_VARIABLE) == "1":
        (PACKAGED / name).write_text(source, encoding="utf-8")
    assert template(name) == source, (
        f"src/onepin_sync/scaffold/{name} differs from {COPIES[name].relative_to(REPO)}; "
        f"rerun this test with {UPDATE_VARIABLE}=1 to copy it"
    )


def test_every_packaged_ci_template_is_a_copy_of_a_recipe() -> None:
    shipped = {p.relative_to(PACKAGED).as_posix() for p in (PACKAGED / "ci").rglob("*.yml")}
    assert shipped == {name for name in COPIES if name.startswith("ci/")}
    assert {n for files in CI_RECIPES.values() for n in files.values()} <= shipped


def test_the_pre_commit_config_runs_the_repository_hooks_from_the_pinned_release() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load(pre_commit_config("9.8.7"))
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    assert repo["hooks"] == [
        {**hook, "additional_dependencies": ["onepin-sync==9.8.7"]} for hook in hooks
    ]
    assert "onepin-sync-validate" in [hook["id"] for hook in repo["hooks"]]


def test_init_writes_the_generated_schema_and_the_github_recipes_by_default() -> None:
    files = {f.path.as_posix(): f.text for f in scaffold_files(ci="github", version="0.1.0")}
    assert files[SCHEMA_FILE.as_posix()] == workflow_json_schema_text()
    assert sorted(p for p in files if p.startswith(".github/")) == [
        ".github/workflows/onepin-apply.yml",
        ".github/workflows/onepin-drift.yml",
        ".github/workflows/onepin-plan.yml",
    ]
    without_ci = [f.path.as_posix() for f in scaffold_files(ci="none", version="0.1.0")]
    assert without_ci == [p for p in files if not p.startswith(".github/")]


@pytest.mark.parametrize(
    ("existing", "expected_entries"),
    [
        ("", [".onepin-sync/", "/onepin-sync.emulator.lock"]),
        ("node_modules/\n.onepin-sync/\n", ["/onepin-sync.emulator.lock"]),
        (".onepin-sync/\n/onepin-sync.emulator.lock\n", []),
    ],
    ids=["empty", "one-there", "all-there"],
)
def test_gitignore_gets_only_the_entries_it_lacks(
    existing: str, expected_entries: list[str]
) -> None:
    added = gitignore_addition(existing)
    entries = [line for line in added.splitlines() if line and not line.startswith("#")]
    assert entries == expected_entries
    assert added == "" or added.endswith("\n")


def test_a_gitignore_without_a_final_newline_keeps_its_last_line() -> None:
    added = gitignore_addition("node_modules/")
    assert added.startswith("\n\n# ")
    assert ("node_modules/" + added).splitlines()[0] == "node_modules/"


def test_the_schema_comment_points_at_the_project_schema_by_a_relative_path() -> None:
    project = Path("/project")
    written = project / "workflows" / "support" / "call.yaml"
    assert schema_comment(written, project / SCHEMA_FILE) == (
        "# yaml-language-server: $schema=../../schemas/workflow.schema.json\n"
    )


def test_the_ci_choices_of_init_are_the_recipe_sets() -> None:
    assert tuple(CI_RECIPES) == CI_SYSTEMS
