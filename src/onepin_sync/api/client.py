"""The Onepin workflows API as used by plan (listing), apply (writes) and `validate --online`.

One `OnepinClient` per run; every request goes through its `ApiSession` (`session.py`: limiter,
retries, error mapping, logging). This module knows the endpoints and their shapes:
- listing costs ceil(N/100) requests: the first page alone (it carries the total), the rest
  concurrently; a listing that shifts while it is read is read again from the start;
- writes: create = POST (never blindly retried: an ambiguous failure raises
  `AmbiguousCreateError`, and `core.matching` finds what it made), update = PATCH of the given
  top-level fields, delete = DELETE (404 = already gone).
"""

from __future__ import annotations

import asyncio
import random as _random
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from onepin_sync.api.decoding import NotAnEnvelope, read_envelope, read_listing
from onepin_sync.api.remote import Settle
from onepin_sync.api.retry import RequestKind
from onepin_sync.api.session import ApiSession, SessionOptions
from onepin_sync.core.keys import is_workflow_id
from onepin_sync.core.models import Json, RemoteWorkflow, WorkflowSpec
from onepin_sync.errors import AmbiguousCreateError, ApiError

__all__ = [
    "BlockedReason",
    "Identity",
    "OnepinClient",
    "SessionOptions",
    "ValidationIssue",
    "ValidationReport",
]

WORKFLOWS = "/api/v1/workflows"
WHOAMI = "/api/v1/auth/whoami"
NODES = "/api/v1/nodes"
PAGE_SIZE = 100
SEARCH_MAX = 100
LISTING_ATTEMPTS = 3

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Identity(NamedTuple):
    """What `whoami` says of the API key."""

    workspace_id: str | None
    key_id: str | None
    scopes: frozenset[str] | None = None  # an API key's; None when not said (a session login)


class ValidationIssue(NamedTuple):
    rule: str
    node_id: str | None
    message: str


class BlockedReason(NamedTuple):
    code: str
    message: str


@dataclass(frozen=True)
class ValidationReport:
    """The server's run-readiness verdict on a definition (`POST /workflows/validate`)."""

    valid: bool
    errors: tuple[ValidationIssue, ...] = ()
    warnings: tuple[ValidationIssue, ...] = ()
    blocked: tuple[BlockedReason, ...] = ()


class OnepinClient:
    """The Onepin workflows API, with retries, adaptive concurrency and safe creates."""

    def __init__(
        self,
        settings: SessionOptions,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
        transport: httpx.AsyncBaseTransport | None = None,
        log: Callable[[str], None] | None = None,
        secrets: Iterable[str] = (),
        on_listing: Callable[[int, int], None] | None = None,
    ) -> None:
        """`on_listing(read, total)` is told how far each listing has got, page by page."""
        self._base_url = settings.base_url
        self._parallelism = settings.parallelism
        self._on_listing = on_listing
        self._session = ApiSession(
            settings,
            sleep=sleep,
            clock=clock,
            random=random,
            transport=transport,
            log=log,
            secrets=secrets,
        )

    def __repr__(self) -> str:
        return f"OnepinClient(base_url={self._base_url!r}, requests_sent={self.requests_sent})"

    async def __aenter__(self) -> Self:
        await self._session.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._session.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests that left this process, retries included (failed connects excluded)."""
        return self._session.requests_sent

    def server_now(self) -> datetime:
        """The server's clock now (from its `Date` headers; see `ApiSession.server_now`)."""
        return self._session.server_now()

    def stop_starting(self) -> None:
        """Start no more requests: those waiting for their turn fail with NotSentError (see
        `ApiSession.stop_starting`); those in flight go on."""
        self._session.stop_starting()

    async def whoami(self) -> Identity:
        """Who the API key is: its workspace above all (`GET /api/v1/auth/whoami`)."""
        where = f"GET {WHOAMI}"
        response = await self._session.send("GET", WHOAMI, RequestKind.READ)
        out = _parse(where, _WhoamiOut, _envelope(where, response)["data"])
        scopes = frozenset(out.scopes) if out.auth_kind == "api_key" and out.scopes else None
        return Identity(workspace_id=out.workspace_id, key_id=out.api_key_id, scopes=scopes)

    # --- reading ---------------------------------------------------------------------------------

    async def list_workflows(
        self, *, search: str | None = None, settle: Settle | None = None, expect: int = 0
    ) -> list[RemoteWorkflow]:
        """Every workflow, with its definition, in ceil(N/100) requests (1 when there are none).

        `search` narrows it the server's way (name or description contains it, any case; at
        most 100 characters are sent): how an unanswered create is looked up cheaply. `settle`
        (`core.settled.ListingSettler`) sees each workflow as its page is read and returns what
        to keep of it, so a large listing is never held whole. `expect`: how many workflows the
        caller knows of (the lockfile's); the pages they fill are asked for together with the
        first, in one round trip instead of two, as many as are sent at once (`parallelism`):
        the rest would wait for the first answers anyway. So a listing smaller than expected (a
        key of another workspace) costs at most `parallelism - 1` requests more.
        """
        for _ in range(LISTING_ATTEMPTS):
            workflows = await self._list_once(
                search[:SEARCH_MAX] if search else None, settle, expect
            )
            if workflows is not None:
                return workflows
            self._session.emit("the workflow listing changed while it was read; reading it again")
        raise ApiError("the workflow listing kept changing while it was read; retry")

    async def _list_once(
        self, search: str | None, settle: Settle | None, expect: int
    ) -> list[RemoteWorkflow] | None:
        """One complete read, or None when the pages do not add up to one consistent listing."""
        where = f"GET {WORKFLOWS}"
        held = settle is None or settle.holds  # else most are let go of as soon as they are read
        spelled = settle is not None  # it wants each item's digest
        read = [0]

        async def counted(offset: int) -> _ListedPage:
            page, digests = await self._list_page(offset, search, held, spelled)
            read[0] += len(page.data)
            self._listed(read[0], page.pagination.total)
            items = [_workflow(where, item) for item in page.data]
            if settle is not None:
                items = [settle(item, digest) for item, digest in zip(items, digests, strict=True)]
            return _ListedPage(page.pagination.total, page.pagination.limit, len(page.data), items)

        at_once = max(1, min(-(-expect // PAGE_SIZE), self._parallelism))  # pages sent together

        async def first_then_the_rest() -> list[_ListedPage]:
            """The first page, then those past the guessed ones, once it has said the total."""
            first = await counted(0)
            after = PAGE_SIZE * at_once if first.limit == PAGE_SIZE else first.limit
            return [
                first,
                *await _all([counted(o) for o in range(after, first.total, first.limit)]),
            ]

        async def guessed(offset: int) -> list[_ListedPage]:
            return [await counted(offset)]

        # Each page's JSON is let go of once read: only what `settle` keeps of it stays.
        offsets = range(PAGE_SIZE, PAGE_SIZE * at_once, PAGE_SIZE)
        (first, *rest), *middle = await _all([first_then_the_rest(), *map(guessed, offsets)])
        total = first.total
        guesses = [page for pages in middle for page in pages]
        if first.limit != PAGE_SIZE:  # the server pages by another size: the guesses miss it
            read[0] -= sum(page.size for page in guesses)
            guesses = []
        pages = [first, *guesses, *rest]
        workflows = [workflow for page in pages for workflow in page.items]
        consistent = (
            all(page.total == total for page in pages)
            and len(workflows) == total
            and len({w.id for w in workflows}) == total
        )
        return workflows if consistent else None

    def _listed(self, read: int, total: int) -> None:
        if self._on_listing is not None:
            self._on_listing(min(read, total), total)

    async def _list_page(
        self, offset: int, search: str | None, held: bool, spelled: bool
    ) -> tuple[_Page, list[str | None]]:
        """One page, with the digest of each item's spec as served when `spelled`
        (`decoding.read_listing`; else Nones); `held`: its workflows are kept whole (their short
        strings are shared)."""
        params: dict[str, str | int] = {"include_definition": "true", "limit": PAGE_SIZE}
        params["offset"] = offset
        if search:
            params["search"] = search
        query = urlencode(params)
        target = f"{WORKFLOWS}?{query}"
        where = f"GET {target}"
        response = await self._session.send("GET", target, RequestKind.READ)
        digests: list[str | None] = []
        if spelled:
            body, digests = _listing(where, response, share_strings=held)
        else:
            body = _envelope(where, response, share_strings=held)
        page = _parse(where, _Page, body)
        if any("definition" not in item for item in page.data):
            raise ApiError(f"{where}: the items lack definitions (include_definition ignored)")
        return page, digests or [None] * len(page.data)

    async def list_node_types(self) -> list[Json]:
        """The server's node catalogue as served (`GET /api/v1/nodes`, public): see
        `core.catalog.catalogue_from_nodes`."""
        where = f"GET {NODES}"
        response = await self._session.send("GET", NODES, RequestKind.READ)
        data = _envelope(where, response)["data"]
        if not isinstance(data, list):
            raise ApiError(f"{where}: unexpected response: data is not a list")
        return data

    async def get_workflow(self, workflow_id: str) -> RemoteWorkflow | None:
        """One workflow, or None when it does not exist or was deleted (404)."""
        target = f"{WORKFLOWS}/{quote(workflow_id, safe='')}"
        response = await self._session.send("GET", target, RequestKind.READ, allow_404=True)
        if response.status_code == 404:
            return None
        return _parse_workflow(f"GET {target}", response)

    async def validate_definition(self, definition: Mapping[str, Json]) -> ValidationReport:
        """The server's full run-readiness check; it persists nothing, so it retries like a GET."""
        target = f"{WORKFLOWS}/validate"
        where = f"POST {target}"
        response = await self._session.send(
            "POST", target, RequestKind.READ, body={"definition": definition}
        )
        out = _parse(where, _ValidateOut, _envelope(where, response)["data"])
        return ValidationReport(
            valid=out.valid,
            errors=tuple(ValidationIssue(i.rule, i.node_id, i.message) for i in out.errors or ()),
            warnings=tuple(
                ValidationIssue(i.rule, i.node_id, i.message) for i in out.warnings or ()
            ),
            blocked=tuple(BlockedReason(b.code, b.message) for b in out.blocked or ()),
        )

    # --- writing ---------------------------------------------------------------------------------

    async def create_workflow(self, spec: WorkflowSpec) -> RemoteWorkflow:
        """POST the spec; AmbiguousCreateError when it may or may not have been created."""
        where = f"POST {WORKFLOWS}"
        started_at = self._session.server_now()
        response = await self._session.send(
            "POST", WORKFLOWS, RequestKind.CREATE, body=spec.to_api(), started_at=started_at
        )
        try:
            return _parse_workflow(where, response)
        except ApiError as exc:  # created (2xx), but we cannot tell which workflow it is
            raise AmbiguousCreateError(
                f"{exc}; the workflow was created but cannot be identified",
                started_at=started_at,
                status=response.status_code,
            ) from exc

    async def patch_workflow(self, workflow_id: str, fields: Mapping[str, Json]) -> RemoteWorkflow:
        """PATCH exactly `fields`: present top-level keys replace, a null description clears."""
        target = f"{WORKFLOWS}/{quote(workflow_id, safe='')}"
        response = await self._session.send("PATCH", target, RequestKind.WRITE, body=fields)
        return _parse_workflow(f"PATCH {target}", response)

    async def delete_workflow(self, workflow_id: str) -> bool:
        """Soft-delete; False when it was already gone (404)."""
        target = f"{WORKFLOWS}/{quote(workflow_id, safe='')}"
        response = await self._session.send("DELETE", target, RequestKind.WRITE, allow_404=True)
        return response.status_code != 404


# --- wire shapes ---------------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class _Pagination(_Wire):
    total: int = Field(ge=0)
    limit: int = Field(ge=1, le=PAGE_SIZE)


class _Page(_Wire):
    data: list[dict[str, Any]]
    pagination: _Pagination


class _WhoamiOut(_Wire):
    auth_kind: str | None = None
    workspace_id: str | None = None
    api_key_id: str | None = None
    scopes: list[str] | None = None


class _Issue(_Wire):
    rule: str
    node_id: str | None = None
    message: str


class _Blocked(_Wire):
    code: str
    message: str


class _ValidateOut(_Wire):
    valid: bool
    errors: list[_Issue] | None = None
    warnings: list[_Issue] | None = None
    blocked: list[_Blocked] | None = None


def _envelope(
    where: str, response: httpx.Response, *, share_strings: bool = False
) -> Mapping[str, Json]:
    try:
        return read_envelope(response, share_strings=share_strings)
    except NotAnEnvelope as exc:
        raise ApiError(f"{where}: unexpected response: {exc}", status=response.status_code) from exc


def _listing(
    where: str, response: httpx.Response, *, share_strings: bool
) -> tuple[Mapping[str, Json], list[str | None]]:
    try:
        return read_listing(response, share_strings=share_strings)
    except NotAnEnvelope as exc:
        raise ApiError(f"{where}: unexpected response: {exc}", status=response.status_code) from exc


def _parse_workflow(where: str, response: httpx.Response) -> RemoteWorkflow:
    return _workflow(where, _envelope(where, response)["data"])


def _workflow(where: str, value: Json) -> RemoteWorkflow:
    """A workflow of a response, its id in the form the lockfile records and requests send (a
    UUID, lower case and dashed; one the server spells otherwise is put in that form). An id
    that is no UUID is refused: it would go into request paths and a lockfile that refuses it."""
    workflow = _parse(where, RemoteWorkflow, value)
    if is_workflow_id(workflow.id):
        return workflow
    try:
        canonical = str(uuid.UUID(workflow.id))
    except ValueError:
        raise ApiError(f"{where}: unexpected response: id: not a workflow id (a UUID)") from None
    return workflow.model_copy(update={"id": canonical})


def _parse(where: str, model: type[M], value: Json) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(f"{where}: unexpected response: {path}: {first['msg']}") from exc


class _ListedPage(NamedTuple):
    """One listing page as `_list_once` keeps it: what it says of the listing, and its items."""

    total: int
    limit: int
    size: int  # how many items it held
    items: list[RemoteWorkflow]


async def _all(coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
