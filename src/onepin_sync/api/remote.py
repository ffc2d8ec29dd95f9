"""Reading the remote side of a plan: one listing, plus GETs for managed ids it did not show.

A plan costs ceil(N/100) list requests. Absence from a listing never means deleted by itself: a
lockfile id missing from the list is confirmed with a GET (404 = gone). When the listing is empty
altogether no GETs are spent; the planner's guard then decides (usually a wrong key or workspace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Protocol

from onepin_sync.core.models import Json, RemoteState, RemoteWorkflow, StateFile, WorkflowSpec
from onepin_sync.core.settled import ListingSettler


class Settle(Protocol):
    """What a listing keeps of each workflow as it is read, given its `fingerprint.listed_digest`
    (`core.settled.ListingSettler`); `holds`: it keeps most definitions whole (a listing then
    shares one copy of each short string, which saves memory and costs decoding time)."""

    @property
    def holds(self) -> bool: ...

    def __call__(self, workflow: RemoteWorkflow, digest: str | None, /) -> RemoteWorkflow: ...


class WorkflowApi(Protocol):
    """The client operations sync needs (implemented by `client.OnepinClient`)."""

    def server_now(self) -> datetime: ...
    def list_workflows(
        self, *, search: str | None = None, settle: Settle | None = None, expect: int = 0
    ) -> Awaitable[list[RemoteWorkflow]]: ...
    def get_workflow(self, workflow_id: str) -> Awaitable[RemoteWorkflow | None]: ...
    def create_workflow(self, spec: WorkflowSpec) -> Awaitable[RemoteWorkflow]: ...
    def patch_workflow(
        self, workflow_id: str, fields: Mapping[str, Json]
    ) -> Awaitable[RemoteWorkflow]: ...
    def delete_workflow(self, workflow_id: str) -> Awaitable[bool]: ...


async def read_remote(
    api: WorkflowApi,
    state: StateFile,
    listing: list[RemoteWorkflow] | None = None,
    *,
    settler: ListingSettler | None = None,
) -> RemoteState:
    """The workspace as the planner needs it: every listed workflow, every managed id resolved.

    `listing` is one the run already read (for its settlement, through `settler` when given);
    else it is read now, through `settler`, whose settled ids the state records, expecting the
    state's workflows (an apply's verification listing: all of them, in one round trip).
    """
    if listing is None:
        listing = await api.list_workflows(settle=settler, expect=len(state.workflows))
    listed = {w.id: w for w in listing}
    settled = frozenset(settler.settled) if settler is not None else frozenset()
    unlisted = [e.id for e in state.workflows.values() if e.id not in listed]
    if not listed:
        return RemoteState(workflows={}, confirmed_missing=frozenset(unlisted))
    fetched = await asyncio.gather(*(api.get_workflow(wid) for wid in unlisted))
    missing = set()
    for wid, workflow in zip(unlisted, fetched, strict=True):
        if workflow is None:
            missing.add(wid)
        else:
            listed[wid] = workflow
    digests = settler.digests if settler is not None else {}
    return RemoteState(
        workflows=listed, confirmed_missing=frozenset(missing), settled=settled, listed=digests
    )
