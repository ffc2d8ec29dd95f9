"""Helpers for the end-to-end tests: small workflows, seeding, and reading the request log.

    with recorded(project.workspace) as sent:
        project.run("apply", "--auto-approve")
    assert calls(sent) == [
        *first_calls(sent, 1), ("PATCH", f"{WORKFLOWS}/{wid}"), ("GET", WORKFLOWS)
    ]

Only this test's workspace is ever read from the log (the emulator is shared by the session).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from onepin_sync.emulator.control import EmulatorWorkspace, RequestRecord
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

WORKFLOWS = "/api/v1/workflows"
WHOAMI = "/api/v1/auth/whoami"
NODES = "/api/v1/nodes"
RUN_START = [("GET", WHOAMI), ("GET", NODES)]
"""What every run that talks to the API asks first, together: the key's workspace and the
server's node catalogue."""
ANSI_ESCAPE = "\x1b["


@contextmanager
def recorded(workspace: EmulatorWorkspace) -> Iterator[list[RequestRecord]]:
    """Collect the requests this workspace's keys make inside the block (filled on exit)."""
    earlier = workspace.requests()
    last_seq = earlier[-1].seq if earlier else 0
    sent: list[RequestRecord] = []
    yield sent
    sent.extend(r for r in workspace.requests() if r.seq > last_seq)


def calls(records: list[RequestRecord]) -> list[tuple[str, str]]:
    """(method, path) of each request, in the order served."""
    return [(r.method, r.path) for r in records]


def first_calls(records: list[RequestRecord], pages: int) -> list[tuple[str, str]]:
    """What every run that talks to the API starts with, in the order served: `RUN_START` and
    the first of `pages` listing pages asked together, then the rest of the listing."""
    head = calls(records)[: pages + len(RUN_START)]
    assert sorted(head) == sorted(RUN_START + [("GET", WORKFLOWS)] * pages), head
    return head


def writes(records: list[RequestRecord]) -> list[RequestRecord]:
    """The requests that could change the workspace."""
    return [r for r in records if r.method not in {"GET", "HEAD"}]


def apply_examples(project: SyncProject) -> dict[str, str]:
    """Copy the examples and apply them; returns key -> remote id from the lockfile."""
    project.copy_examples()
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    return {key: entry["id"] for key, entry in project.lock_entries().items()}


def seed(project: SyncProject, count: int) -> list[str]:
    """Write `count` tiny workflow files (`bulk/wf-0000`, ...) and apply them; returns the keys."""
    keys = [f"bulk/wf-{i:04d}" for i in range(count)]
    for key in keys:
        project.write(key, tiny_workflow(f"Bulk {key[-4:]}"))
    if keys:
        applied = project.run("apply", "--auto-approve")
        assert applied.code == 0, applied.output
    return keys


def remote_workflow(project: SyncProject, workflow_id: str) -> dict[str, Any]:
    """The workflow as the API returns it now (through the raw API, not onepin-sync)."""
    ws = project.workspace
    response = httpx.get(f"{ws.base_url}{WORKFLOWS}/{workflow_id}", headers=ws.headers)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def plan_json(project: SyncProject, *args: str) -> dict[str, Any]:
    """`plan --json` parsed; fails the test when the command fails."""
    result = project.run("plan", "--json", *args)
    assert result.code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def without_voices(project: SyncProject, key: str = "support/payment-reminder") -> str:
    """The example `key` with its generator's `voice_map` removed: valid offline, but the API's
    run-readiness checks refuse it (`validate --online`). Returns the key."""
    doc = project.read(key)
    for node in doc["definition"]["graph"]["nodes"]:
        if node["type"] == "operator_generator":
            del node["config"]["voice_map"]
    project.write(key, doc)
    return key
