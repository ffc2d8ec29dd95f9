"""Shared fixtures: one emulator for the whole session, and an isolated workspace per test.

    emulator            a started `EmbeddedEmulator(":memory:", control=True)` (session-scoped);
                        `.base_url`, `.default_api_key`, `.default_workspace_id`
    emulator_control    an `EmulatorControl` on it (session-scoped)
    workspace           a fresh key in a fresh workspace, as an `EmulatorWorkspace`:
                        `.base_url`, `.api_key`, `.workspace_id`, `.headers`, `.control`,
                        `.add_fault(**rule)` (scoped to this workspace), `.requests()` (this
                        workspace's log entries), `.record_run(id, status)`. Faults and the
                        request log are cleared before the test, faults again after it.
    api                 an `httpx.Client` for `workspace` (base URL and key set), closed after
    project             a throwaway onepin-sync project targeting `workspace`, with `.run(...)`
                        calling the CLI in-process (see sync_project.py)

Tests share one server, so isolate by workspace: never assert on the default workspace's content
or on the unfiltered request log.
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator
from tests.sync_project import SyncProject


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(":memory:", control=True) as running:
        yield running


@pytest.fixture(scope="session")
def emulator_control(emulator: EmbeddedEmulator) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator.base_url) as control:
        yield control


@pytest.fixture
def workspace(
    emulator: EmbeddedEmulator, emulator_control: EmulatorControl
) -> Iterator[EmulatorWorkspace]:
    emulator_control.clear_faults()
    emulator_control.clear_requests()
    key = emulator_control.new_workspace()
    yield EmulatorWorkspace(
        base_url=emulator.base_url,
        api_key=key.api_key,
        workspace_id=key.workspace_id,
        key_id=key.key_id,
        user_id=key.user_id,
        control=emulator_control,
    )
    emulator_control.clear_faults()


@pytest.fixture
def api(workspace: EmulatorWorkspace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=workspace.base_url, headers=workspace.headers) as client:
        yield client


@pytest.fixture
def project(
    workspace: EmulatorWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    """An empty onepin-sync project in tmp_path, targeting `workspace` (see sync_project.py)."""
    for name in ("ONEPIN_API_KEY", "ONEPIN_BASE_URL", "ONEPIN_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    return SyncProject(tmp_path / "project", workspace)
