"""Onepin upgraded under a managed workspace (the emulator switched from `current` to `next` in
place): every workflow reads back spelled anew (config defaults filled, keys added) though nobody
wrote to it. That is no one's change: the plan stays empty, an edit in git is an update (not a
conflict), and an edit made in the app since is still caught as one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl
from onepin_sync.emulator.embedded import EmbeddedEmulator
from tests.e2e.support import recorded, writes
from tests.sync_project import SyncProject, fresh_workspace, new_project

EDITED = "lesson-narration"  # a file name of the examples, found under its folder


@pytest.fixture(scope="module")
def upgradable() -> Iterator[EmulatorControl]:
    """An emulator of its own: the tests upgrade it, which the session's must never see."""
    with (
        EmbeddedEmulator(":memory:", control=True, profile="current") as running,
        EmulatorControl(running.base_url) as control,
    ):
        yield control


@pytest.fixture
def project(
    upgradable: EmulatorControl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    """The examples applied to a fresh workspace of today's server, which is then upgraded."""
    upgradable.set_profile("current")
    synced = new_project(fresh_workspace(upgradable), tmp_path, monkeypatch)
    synced.copy_examples()
    applied = synced.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    upgradable.set_profile("next")
    return synced


def _edited_key(project: SyncProject) -> str:
    (key,) = [k for k in project.lock_entries() if k.endswith(f"/{EDITED}")]
    return key


def test_an_upgraded_server_changes_nothing_and_an_edit_in_git_is_an_update(
    project: SyncProject,
) -> None:
    unchanged = project.run("plan", "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.output
    assert "No changes." in unchanged.stdout

    key = _edited_key(project)
    project.write(key, {**project.read(key), "description": "Edited in git after the upgrade."})
    planned = project.run("plan")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert f"# {key} will be updated in place (changed in git)" in planned.stdout
    assert "conflict" not in planned.output
    assert applied.code == 0, applied.output
    assert [(r.method, r.body_keys) for r in writes(sent)] == [("PATCH", ["description"])]
    assert "Verified" in applied.stdout
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_app_edit_after_the_upgrade_is_still_a_conflict_with_an_edit_in_git(
    project: SyncProject,
) -> None:
    key = _edited_key(project)
    ws = project.workspace
    httpx.patch(
        f"{ws.base_url}/api/v1/workflows/{project.lock_entries()[key]['id']}",
        json={"description": "Typed in the app."},
        headers=ws.headers,
    ).raise_for_status()
    project.write(key, {**project.read(key), "description": "Edited in git."})

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 5, applied.output
    assert f"changed both in git and outside onepin-sync: {key}" in applied.stderr
    assert writes(sent) == []
