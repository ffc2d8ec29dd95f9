"""Shared fixtures: one emulator for the whole session, and an isolated workspace per test.

    emulator            a started `EmbeddedEmulator(":memory:", control=True)` (session-scoped),
                        playing the profile `ONEPIN_SYNC_TEST_PROFILE` names (default current);
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

    emulator_next, emulator_next_control, workspace_next, api_next, project_next
                        the same five on a second session server that plays the `next` profile
                        (a plausible newer Onepin, see emulator/profiles.py); it starts on first
                        use, so sessions that never ask for it never start it

    s3_server, s3_state  a local S3-compatible server (session) and a fresh bucket per test, for
                        the remote-state tests (see s3.py)

Tests share one server, so isolate by workspace: never assert on the default workspace's content
or on the unfiltered request log.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator
from tests.sync_project import SyncProject, fresh_workspace, new_project

pytest_plugins = ["tests.s3"]

PROFILE = os.environ.get("ONEPIN_SYNC_TEST_PROFILE", "current")
"""The server profile the session's `emulator` plays: `current`, or `next` (a plausible newer
Onepin) for the second pass of the e2e and reliability suites (`.ci/run` makes both passes)."""


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(":memory:", control=True, profile=PROFILE) as running:
        yield running


@pytest.fixture(scope="session")
def emulator_control(emulator: EmbeddedEmulator) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator.base_url) as control:
        yield control


def _isolated_workspace(
    emulator: EmbeddedEmulator, control: EmulatorControl
) -> Iterator[EmulatorWorkspace]:
    """A fresh workspace on `emulator`; faults and the request log cleared before, faults after."""
    control.clear_faults()
    control.clear_requests()
    yield fresh_workspace(control)
    control.clear_faults()


@pytest.fixture
def workspace(
    emulator: EmbeddedEmulator, emulator_control: EmulatorControl
) -> Iterator[EmulatorWorkspace]:
    yield from _isolated_workspace(emulator, emulator_control)


@pytest.fixture
def api(workspace: EmulatorWorkspace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=workspace.base_url, headers=workspace.headers) as client:
        yield client


@pytest.fixture(scope="session")
def emulator_next() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(":memory:", control=True, profile="next") as running:
        yield running


@pytest.fixture(scope="session")
def emulator_next_control(emulator_next: EmbeddedEmulator) -> Iterator[EmulatorControl]:
    with EmulatorControl(emulator_next.base_url) as control:
        yield control


@pytest.fixture
def workspace_next(
    emulator_next: EmbeddedEmulator, emulator_next_control: EmulatorControl
) -> Iterator[EmulatorWorkspace]:
    yield from _isolated_workspace(emulator_next, emulator_next_control)


@pytest.fixture
def api_next(workspace_next: EmulatorWorkspace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=workspace_next.base_url, headers=workspace_next.headers) as client:
        yield client


@pytest.fixture
def project(
    workspace: EmulatorWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    """An empty onepin-sync project in tmp_path, targeting `workspace` (see sync_project.py)."""
    return new_project(workspace, tmp_path, monkeypatch)


@pytest.fixture
def project_next(
    workspace_next: EmulatorWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SyncProject:
    """The same on the `next` server, whatever profile the session's `emulator` plays."""
    return new_project(workspace_next, tmp_path, monkeypatch)
