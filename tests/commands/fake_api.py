"""An in-memory Onepin workspace behind the `WorkflowApi` port, for executor and recovery tests.

It models what sync relies on and nothing more: workflows held by id (`wf(1)`, `wf(2)`, ... in
creation order: UUIDs, as the API's ids are), a server clock (`server_now`, and
`created_at`/`updated_at`) read from an injected clock, a listing that a `search` narrows the
server's way (name or description contains it, any case), a PATCH replacing exactly the
top-level fields it sends, a delete after which GET answers None and DELETE False (as the client
turns a 404 into). It stores what it is sent: no server defaults, no float positions.

Every request is recorded in order in `calls` as `(method, target)`: the name for a create, the
id for a get, patch or delete, the search for a searched listing, and `("list",)` alone for a full
one. `server_now` is no request: it is not in `calls`, but every time it answered is in `served`
(a create reads it just before it is "sent", as the client does). Every request yields to the
event loop once, as a request would, so concurrent writes really overlap.

A test scripts the next call of one method on one target to raise (`fail_next`), to wait until an
event is set (`hold_next`), or the next create of a name to end without its workflow: unanswered
(`lose_next_create`: created or not, then `AmbiguousCreateError`) or refused with an answer such
as a 429 (`refuse_next_create`: `AmbiguousCreateError` with `answered` and `retry_after`). `add`,
`edit` and `drop` set the workspace up, or change it "outside onepin-sync", without being recorded.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from onepin_sync.core.models import SPEC_FIELDS, Json, RemoteWorkflow, WorkflowSpec
from onepin_sync.errors import AmbiguousCreateError, NotFoundError
from tests.core.builders import T0

Method = Literal["list", "get", "create", "patch", "delete"]
Call = tuple[str, ...]

LOST = "POST /workflows: read timeout"


def wf(number: int) -> str:
    """The id of the `number`th workflow made (from 1): a UUID in the API's form, as a journal
    and a lockfile take it."""
    return f"00000000-0000-4000-8000-{number:012d}"


def refused_message(status: int) -> str:
    """The message of the `AmbiguousCreateError` a create refused with `status` raises."""
    return f"POST /workflows: {status}; the workflow may or may not have been created"


class TickingClock:
    """UTC time that moves forward by `step` every time it is read, and by `advance` on demand."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(milliseconds=10)) -> None:
        self._now = start
        self._step = step

    def __call__(self) -> datetime:
        self._now += self._step
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass(frozen=True)
class _Unsettled:
    """How one scripted create ends without its workflow in the answer."""

    created: bool  # whether the server made the workflow all the same
    status: int | None = None  # an answer (408, 409, 429): the server finished with the request
    retry_after: float | None = None
    free_resend: bool = False  # a 429 the run's deadline leaves time for (uses up no round)


class InMemoryWorkflowApi:
    """One workspace; implements `onepin_sync.api.remote.WorkflowApi`."""

    def __init__(self, clock: TickingClock | None = None) -> None:
        self.clock = clock or TickingClock()
        self.calls: list[Call] = []
        self.served: list[datetime] = []  # every time `server_now` answered, in order
        self._workflows: dict[str, RemoteWorkflow] = {}
        self._created = 0
        self._errors: dict[Call, list[Exception]] = {}
        self._unsettled: dict[str, list[_Unsettled]] = {}
        self._holds: dict[Call, list[asyncio.Event]] = {}

    # --- for tests: setting the workspace up and scripting the next calls ------------------------

    @property
    def workflows(self) -> dict[str, RemoteWorkflow]:
        """The live workflows by id (a copy)."""
        return dict(self._workflows)

    def add(self, spec: WorkflowSpec) -> RemoteWorkflow:
        """A workflow created now, unrecorded (by someone else, or before the test)."""
        self._created += 1
        at = self.clock()
        workflow = RemoteWorkflow(
            id=wf(self._created),
            **copy.deepcopy(spec.to_api()),
            created_at=at,
            updated_at=at,
        )
        self._workflows[workflow.id] = workflow
        return workflow

    def edit(self, workflow_id: str, fields: Mapping[str, Json]) -> RemoteWorkflow:
        """Replace top-level fields of a workflow now, unrecorded (as an edit outside would)."""
        assert set(fields) <= set(SPEC_FIELDS), f"not a field sync owns: {sorted(fields)}"
        edited = self._workflows[workflow_id].model_copy(
            update={**copy.deepcopy(dict(fields)), "updated_at": self.clock()}
        )
        self._workflows[workflow_id] = edited
        return edited

    def drop(self, workflow_id: str) -> None:
        """Delete a workflow outside onepin-sync, unrecorded."""
        del self._workflows[workflow_id]

    def fail_next(self, method: Method, target: str = "", *, error: Exception) -> None:
        """The next `method` call on `target` raises `error` and changes nothing."""
        self._errors.setdefault(_call(method, target), []).append(error)

    def lose_next_create(self, name: str, *, created: bool) -> None:
        """The next create of `name` gets no answer (a read timeout): it creates the workflow or
        not, then raises `AmbiguousCreateError` (not `answered`) with the server time read just
        before the request was "sent"."""
        self._unsettled.setdefault(name, []).append(_Unsettled(created))

    def refuse_next_create(
        self,
        name: str,
        *,
        status: int = 429,
        retry_after: float | None = None,
        created: bool = False,
        free_resend: bool = False,
    ) -> None:
        """The next create of `name` is answered with `status` (408, 409, 429): it creates the
        workflow or not (a 409 may come from a server that did), then raises an `answered`
        `AmbiguousCreateError` carrying `retry_after` and `free_resend`."""
        refusal = _Unsettled(created, status, retry_after, free_resend)
        self._unsettled.setdefault(name, []).append(refusal)

    def hold_next(self, method: Method, target: str = "") -> asyncio.Event:
        """The next `method` call on `target` is recorded, then waits until the event is set."""
        event = asyncio.Event()
        self._holds.setdefault(_call(method, target), []).append(event)
        return event

    # --- the port --------------------------------------------------------------------------------

    def server_now(self) -> datetime:
        now = self.clock()
        self.served.append(now)
        return now

    async def list_workflows(self, *, search: str | None = None) -> list[RemoteWorkflow]:
        await self._arrive("list", search or "")
        listed = sorted(self._workflows.values(), key=lambda w: (w.created_at, w.id))
        if not search:
            return listed
        needle = search.casefold()
        return [
            w
            for w in listed
            if needle in w.name.casefold() or needle in (w.description or "").casefold()
        ]

    async def get_workflow(self, workflow_id: str) -> RemoteWorkflow | None:
        await self._arrive("get", workflow_id)
        return self._workflows.get(workflow_id)

    async def create_workflow(self, spec: WorkflowSpec) -> RemoteWorkflow:
        started_at = self.server_now()
        await self._arrive("create", spec.name)
        scripted = self._unsettled.get(spec.name)
        if not scripted:
            return self.add(spec)
        unsettled = scripted.pop(0)
        if unsettled.created:
            self.add(spec)
        if unsettled.status is None:
            raise AmbiguousCreateError(LOST, started_at=started_at)
        raise AmbiguousCreateError(
            refused_message(unsettled.status),
            started_at=started_at,
            status=unsettled.status,
            answered=True,
            retry_after=unsettled.retry_after,
            free_resend=unsettled.free_resend,
        )

    async def patch_workflow(self, workflow_id: str, fields: Mapping[str, Json]) -> RemoteWorkflow:
        await self._arrive("patch", workflow_id)
        if workflow_id not in self._workflows:
            raise NotFoundError(f"PATCH /workflows/{workflow_id}: not found", status=404)
        return self.edit(workflow_id, fields)

    async def delete_workflow(self, workflow_id: str) -> bool:
        await self._arrive("delete", workflow_id)
        return self._workflows.pop(workflow_id, None) is not None

    async def _arrive(self, method: Method, target: str = "") -> None:
        """Record the call, yield once, then play what the test scripted for it, if anything."""
        call = _call(method, target)
        self.calls.append(call)
        await asyncio.sleep(0)
        if holds := self._holds.get(call):
            await holds.pop(0).wait()
        if errors := self._errors.get(call):
            raise errors.pop(0)


def _call(method: Method, target: str) -> Call:
    return (method, target) if target else (method,)
