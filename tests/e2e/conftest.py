"""End-to-end fixtures: the official `onepin` SDK on the test's workspace, for edits made
"behind onepin-sync's back"."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from onepin import OnePinClient

from onepin_sync.emulator.control import EmulatorWorkspace


@pytest.fixture
def sdk(workspace: EmulatorWorkspace) -> Iterator[OnePinClient]:
    """The official client with retries off, on an httpx client closed after the test."""
    with httpx.Client(timeout=10) as http:
        yield OnePinClient(
            token=workspace.api_key, base_url=workspace.base_url, max_retries=0, httpx_client=http
        )
