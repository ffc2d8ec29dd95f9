"""A throwaway onepin-sync project wired to one emulator workspace, for end-to-end tests.

    def test_x(project: SyncProject) -> None:
        project.copy_examples()
        result = project.run("apply", "--auto-approve")
        assert result.code == 0, result.output

`run` calls the real CLI entry point in-process (`cli.run`), so requests go over real HTTP to the
emulator; output is captured, colour is off, HOME is a temporary folder (no credentials file), and
the target options (--dir, --lockfile, --base-url, --api-key) are added after the subcommand
unless `target=False`.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from onepin_sync.cli import run as cli_run
from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "workflows"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(argv: list[str]) -> CliResult:
    """The CLI in-process on `argv`, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_run(argv)
    return CliResult(code, out.getvalue(), err.getvalue())


class SyncProject:
    def __init__(self, root: Path, workspace: EmulatorWorkspace) -> None:
        self.root = root
        self.workspace = workspace
        self.workflows = root / "workflows"
        self.lockfile = root / "onepin-sync.lock"
        self.workflows.mkdir(parents=True, exist_ok=True)

    # --- files -----------------------------------------------------------------------------

    def copy_examples(self) -> list[str]:
        """Copy examples/workflows into the project; returns their keys."""
        shutil.copytree(EXAMPLES, self.workflows, dirs_exist_ok=True)
        return sorted(
            str(p.relative_to(self.workflows).with_suffix(""))
            for p in self.workflows.rglob("*.yaml")
        )

    def path(self, key: str) -> Path:
        return self.workflows / f"{key}.yaml"

    def read(self, key: str) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load(self.path(key).read_text(encoding="utf-8"))
        return loaded

    def write(self, key: str, document: dict[str, Any]) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    def remove(self, key: str) -> None:
        self.path(key).unlink()

    def lock_entries(self) -> dict[str, Any]:
        """The lockfile's `workflows` mapping ({} when there is no lockfile)."""
        if not self.lockfile.exists():
            return {}
        entries: dict[str, Any] = json.loads(self.lockfile.read_text(encoding="utf-8"))["workflows"]
        return entries

    # --- commands --------------------------------------------------------------------------

    def target_args(self) -> list[str]:
        return [
            "--dir", str(self.workflows),
            "--lockfile", str(self.lockfile),
            "--base-url", self.workspace.base_url,
            "--api-key", self.workspace.api_key,
        ]  # fmt: skip

    def run(self, command: str, *args: str, target: bool = True) -> CliResult:
        return run_cli([command, *(self.target_args() if target else []), *args])


def fresh_workspace(control: EmulatorControl) -> EmulatorWorkspace:
    """A new workspace, with a key of every scope, on the emulator `control` drives."""
    key = control.new_workspace()
    return EmulatorWorkspace(
        base_url=control.base_url,
        api_key=key.api_key,
        workspace_id=key.workspace_id,
        key_id=key.key_id,
        user_id=key.user_id,
        control=control,
    )


def new_project(
    workspace: EmulatorWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    """An empty project in `tmp_path` targeting `workspace`: no key or target from the
    environment, HOME in `tmp_path` (no credentials file), no colour, run from `tmp_path`."""
    for name in ("ONEPIN_API_KEY", "ONEPIN_BASE_URL", "ONEPIN_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    return SyncProject(tmp_path / "project", workspace)
