"""`init` in an empty folder gives a project that validates, plans and applies on the embedded
emulator as it is; it never overwrites a file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync_project import SyncProject

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"
TRIAL = ("--emulator", "--lockfile", "onepin-sync.emulator.lock")
CREATED = [
    "onepin-sync.yaml",
    "workflows/welcome-call.yaml",
    "schemas/workflow.schema.json",
    ".pre-commit-config.yaml",
    ".github/workflows/onepin-plan.yml",
    ".github/workflows/onepin-apply.yml",
    ".github/workflows/onepin-drift.yml",
]


def readme_steps() -> set[str]:
    """The commands after `init` in the README's *Your own project* block (comments dropped)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Your own project", 1)[1].split("```console\n", 1)[1].split("```")[0]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    start = next(i for i, line in enumerate(lines) if "onepin-sync init" in line)
    after_init = lines[start + 1 :]
    assert len(after_init) >= 6, after_init
    return set(after_init)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_init_then_validate_plan_and_apply_on_the_emulator(
    project: SyncProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    monkeypatch.chdir(folder)
    new = SyncProject(folder, project.workspace)
    (folder / "workflows").rmdir()  # SyncProject makes it; init starts from an empty folder

    made = new.run("init", target=False)
    assert (made.code, made.stderr) == (0, ""), made.output
    assert files_under(folder) == sorted([*CREATED, ".gitignore"])
    assert made.stdout.splitlines()[1:9] == [f"  {p}" for p in CREATED] + [
        "  .gitignore (created: .onepin-sync/ and the trial lockfile)"
    ]
    assert "    onepin-sync plan --emulator --lockfile onepin-sync.emulator.lock\n" in made.stdout
    assert "    pre-commit install\n" in made.stdout
    assert readme_steps() <= {line.strip() for line in made.stdout.splitlines()}
    checked = subprocess.run(
        [PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr

    validated = new.run("validate", target=False)
    planned = new.run("plan", *TRIAL, target=False)
    applied = new.run("apply", *TRIAL, "--auto-approve", target=False)
    again = new.run("plan", *TRIAL, "--detailed-exitcode", target=False)

    assert validated.stdout == "Success: 1 workflow file valid.\n", validated.output
    assert "Plan: 1 to create, 0 to update, 0 to delete." in planned.stdout, planned.output
    assert "Apply complete: 1 created, 0 updated, 0 deleted." in applied.stdout, applied.output
    assert again.code == 0, again.output
    assert (folder / "onepin-sync.emulator.lock").is_file()
    assert not (folder / "onepin-sync.lock").exists()  # the project's lockfile is for real runs
    assert project.workspace.requests() == []  # the embedded emulator, not the test's


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, project: SyncProject) -> None:
    folder = tmp_path / "existing"
    (folder / "workflows").mkdir(parents=True)
    (folder / "onepin-sync.yaml").write_text("workflows: flows\n", encoding="utf-8")
    (folder / "workflows" / "welcome-call.yaml").write_text("mine\n", encoding="utf-8")
    before = files_under(folder)

    refused = SyncProject(tmp_path, project.workspace).run("init", str(folder), target=False)

    assert refused.code == 3, refused.output
    assert refused.stdout == ""
    assert (
        f"Error: init writes nothing: 2 of its files already exist in {folder}: "
        "onepin-sync.yaml, workflows/welcome-call.yaml (move them away or use another folder)\n"
    ) == refused.stderr
    assert files_under(folder) == before
    assert (folder / "onepin-sync.yaml").read_text(encoding="utf-8") == "workflows: flows\n"


def test_init_adds_only_missing_entries_to_an_existing_gitignore(
    tmp_path: Path, project: SyncProject
) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / ".gitignore").write_text("node_modules/\n.onepin-sync/\n", encoding="utf-8")

    made = SyncProject(tmp_path, project.workspace).run(
        "init", str(folder), "--ci", "gitlab", target=False
    )

    assert made.code == 0, made.output
    assert "  .gitignore (updated: .onepin-sync/ and the trial lockfile)\n" in made.stdout
    assert f"    cd {folder}\n" in made.stdout
    assert (folder / ".gitignore").read_text(encoding="utf-8") == (
        "node_modules/\n.onepin-sync/\n\n"
        "# the lockfile of trial runs against the embedded emulator (`--emulator --lockfile …`)\n"
        "/onepin-sync.emulator.lock\n"
    )
    assert (folder / ".gitlab-ci.yml").is_file()
    assert not (folder / ".github").exists()
