"""Fixtures of the recipe tests: `pipeline`, a bare repository and CI jobs on a fresh workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import Pipeline


@pytest.fixture
def pipeline(workspace: EmulatorWorkspace, tmp_path: Path) -> Pipeline:
    return Pipeline(tmp_path, workspace)
