"""Fixtures for running one emulator test against both server profiles.

profile             "current" or "next": a test asking for it (or for `profiled_workspace`)
                    runs once per profile
profiled_workspace  `workspace` on the current server or `workspace_next` on the next one
"""

import pytest

from onepin_sync.emulator.control import EmulatorWorkspace

WORKSPACE_FIXTURE = {"current": "workspace", "next": "workspace_next"}


@pytest.fixture(params=sorted(WORKSPACE_FIXTURE))
def profile(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def profiled_workspace(profile: str, request: pytest.FixtureRequest) -> EmulatorWorkspace:
    workspace: EmulatorWorkspace = request.getfixturevalue(WORKSPACE_FIXTURE[profile])
    assert workspace.control.profile() == profile
    return workspace
