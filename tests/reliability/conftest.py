"""Reliability fixtures: `sync`, a tracked project on a fresh emulator workspace (harness.py)."""

from __future__ import annotations

import pytest

from tests.reliability.harness import Tracked
from tests.sync_project import SyncProject


@pytest.fixture
def sync(project: SyncProject) -> Tracked:
    return Tracked(project)
