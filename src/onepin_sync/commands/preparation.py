"""What every online command does once connected, before it plans: the lockfile for the target
(refused when it was made for another one), bound to the API key's workspace; the server's node
catalogue, to compare specs with; and what an interrupted apply left (its journal, the
lockfile's unanswered creates), settled against one listing.

`prepare` asks for the key's workspace, the catalogue and the first listing pages together.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from onepin_sync.api.client import Identity, OnepinClient
from onepin_sync.commands.context import Inputs, Ui, cache_served_catalogue
from onepin_sync.commands.target import Target
from onepin_sync.core.catalog import catalogue_from_nodes
from onepin_sync.core.fingerprint import DEFAULT_COMPARISON, Comparison
from onepin_sync.core.matching import settle_wait
from onepin_sync.core.models import Json, RemoteWorkflow, StateFile
from onepin_sync.core.redact import Redactor
from onepin_sync.core.settled import ListingSettler
from onepin_sync.core.settlement import settle_pending
from onepin_sync.errors import ApiError, InputError
from onepin_sync.files.catalogue_cache import cached_catalogue
from onepin_sync.state.journal import JournalLine
from onepin_sync.state.lockfile import new_state
from onepin_sync.state.recovery import settle_journal


def state_for(inputs: Inputs, target: Target) -> StateFile:
    """The lockfile for `target`, or a new one; refuses a lockfile made for another target."""
    state = inputs.store.read()
    if not inputs.desired.folder_exists and (state is None or not state.workflows):
        raise InputError(
            f"workflows folder {inputs.paths.workflows} does not exist (create it, or pass --dir)"
        )
    if state is None:
        return new_state(target.api_url, target.workspace)
    if state.api_url != target.api_url or (
        state.workspace and target.workspace and state.workspace != target.workspace
    ):
        where = state.api_url + (f" workspace {state.workspace}" if state.workspace else "")
        asked = target.api_url + (f" workspace {target.workspace}" if target.workspace else "")
        raise InputError(
            f"{inputs.store.location} belongs to {where}, not {asked}; use another "
            "--lockfile or an environment in onepin-sync.yaml for each target"
        )
    return state


def bind_workspace(inputs: Inputs, state: StateFile, identity: Identity, ui: Ui) -> StateFile:
    """`state` bound to the API key's workspace; refuses a lockfile of another workspace.

    A lockfile that records no workspace yet (a new one, or one from before workspaces were
    recorded) takes the key's; the next write records it.
    """
    workspace = identity.workspace_id
    if workspace is None or state.workspace == workspace:
        return state
    if state.workspace is not None:
        raise InputError(
            f"{inputs.store.location} belongs to workspace {state.workspace}, but the API key is "
            f"for workspace {workspace}; nothing was written. Use the key of {state.workspace}, "
            "or another --lockfile (or an environment in onepin-sync.yaml) for the other workspace"
        )
    if inputs.store.exists():
        ui.warn(
            f"{inputs.store.location} records no workspace yet; binding it to {workspace}, the "
            "API key's workspace (the next write records it)"
        )
    return state.model_copy(update={"workspace": workspace})


@dataclass(frozen=True)
class Prepared:
    """The state a run plans from, the listing it read (None when it needed none), the inputs it
    plans with (the run's, or with every file read in full when there was an interrupted apply
    to settle), and how it compares specs (with the server's node catalogue, when it could be
    read)."""

    state: StateFile
    listing: list[RemoteWorkflow] | None
    inputs: Inputs
    comparison: Comparison = DEFAULT_COMPARISON
    # What `listing` kept of the workflows of files kept without their spec (lean runs), and
    # how it spelled each workflow (`ListingSettler.digests`).
    settler: ListingSettler | None = None
    scopes: frozenset[str] | None = None  # the API key's, when whoami says them


async def prepare(
    inputs: Inputs,
    target: Target,
    client: OnepinClient,
    ui: Ui,
    *,
    persist: bool,
    listing: bool = True,
) -> Prepared:
    """Bind the workspace, then settle what an interrupted run left: its journal and the
    lockfile's pending creates. The key's workspace (`whoami`) and the first listing page are
    asked for together; nothing is written for a lockfile of another workspace.

    A command holding the state lock (`persist`) records the settlement; `plan` only accounts
    for it. `listing=False` reads a listing only when there is something to settle.
    """
    on_disk = state = state_for(inputs, target)  # refuses another target before any request
    started = datetime.now(UTC)
    catalogue = asyncio.ensure_future(client.list_node_types())
    settler = ListingSettler(state, inputs.desired.applied)  # and the digests entries record
    expect = len(state.workflows)  # the pages they fill are asked for at once
    listed = (
        asyncio.ensure_future(client.list_workflows(settle=settler, expect=expect))
        if listing
        else None
    )
    side = [task for task in (catalogue, listed) if task is not None]
    try:
        identity = await client.whoami()
        state = bind_workspace(inputs, state, identity, ui)
        comparison = await _server_comparison(catalogue, inputs, target, ui)
        lines = inputs.store.read_journal()
        if not lines and not state.pending:
            if persist and state is not on_disk and inputs.store.exists():
                inputs.store.write(state)
            workflows = None if listed is None else await listed
            return Prepared(state, workflows, inputs, comparison, settler, identity.scopes)
        if inputs.desired.applied and listed is not None:
            # An apply was interrupted since the files were read (a lean run reads none with
            # anything to settle): settling needs every spec, and every listed definition.
            await listed
            inputs = inputs.with_files_read(inputs.desired.applied)
            listed = None
        listed = listed or asyncio.ensure_future(client.list_workflows())
        workflows = await listed
    except Exception:
        # Let the others end by themselves: cancelled mid-handshake, a request leaks its socket.
        await asyncio.gather(*side, return_exceptions=True)
        raise
    except BaseException:
        for task in side:
            task.cancel()
        raise
    listed_at = client.server_now() - (datetime.now(UTC) - started)
    settling = _Settling(lines, workflows, listed_at, comparison, on_disk)
    settled = await _settle(inputs, state, settling, client, ui, persist)
    return replace(settled, scopes=identity.scopes)


async def _server_comparison(
    node_types: asyncio.Future[list[Json]], inputs: Inputs, target: Target, ui: Ui
) -> Comparison:
    """Specs compared with the server's catalogue (cached for the next run's file checks); the
    cached or bundled one when it cannot be read (it only affects how differences show)."""
    local_dir = inputs.paths.local_dir
    try:
        served = await node_types
        catalogue = catalogue_from_nodes(served, f"the catalogue of {target.api_url}")
    except (ApiError, ValueError) as exc:
        ui.warn(f"the node catalogue could not be read ({exc}); using the last one known")
        return Comparison(catalogue=cached_catalogue(local_dir, target.api_url))
    cache_served_catalogue(local_dir, target.api_url, served, ui)
    return Comparison(catalogue=catalogue)


@dataclass(frozen=True)
class _Settling:
    """What settling an interrupted run works from."""

    lines: list[JournalLine]  # the journal (maybe empty)
    listing: list[RemoteWorkflow]
    listed_at: datetime  # server time
    comparison: Comparison
    on_disk: StateFile  # the lockfile as read (or a new one), to write only what changed


async def _settle(
    inputs: Inputs,
    state: StateFile,
    settling: _Settling,
    client: OnepinClient,
    ui: Ui,
    persist: bool,
) -> Prepared:
    """Settle the journal, then the pending creates (after the few seconds a just-sent one may
    still need), recording the result when `persist`."""
    lines, listing, listed_at = settling.lines, settling.listing, settling.listed_at
    comparison = settling.comparison
    store = inputs.store
    holder = None if persist or not lines else store.live_holder()
    if holder is not None:
        ui.warn(
            f"an apply is running (pid {holder.get('pid')}, since {holder.get('created_at')}); "
            "this plan does not include the writes it has in progress"
        )
        return Prepared(state, listing, inputs, comparison)
    by_id = {w.id: w for w in listing}
    settlement = await settle_journal(lines, state, inputs.desired, client, by_id, comparison)
    secrets = Redactor(inputs.desired.secret_values)
    sent = {key: workflow.spec for key, workflow in inputs.desired.workflows.items()}
    # Only a create this listing neither shows nor proves absent is worth waiting for.
    unsettled, _ = settle_pending(
        settlement.state, listing, listed_at=listed_at, secrets=secrets, sent=sent
    )
    wait = max((settle_wait(p, listed_at) for p in unsettled.pending.values()), default=0)
    if wait > 0:
        # A create sent moments ago: give the server the rest of its time, then look again
        # (a second more: the server's clock is read from `Date` headers, whole seconds).
        wait += 1.0
        ui.warn(f"waiting {wait:.1f} s for an unanswered create to settle, then listing again")
        await asyncio.sleep(wait)
        listing = await client.list_workflows()
        listed_at = client.server_now()
    settled, pending_notes = settle_pending(
        settlement.state, listing, listed_at=listed_at, secrets=secrets, sent=sent
    )
    notes = [*settlement.notes, *pending_notes]
    for note in notes:
        ui.warn(f"interrupted apply: {note}")
    if persist:
        if settled is not settling.on_disk:
            store.write(settled)
        if settlement.foreign:
            aside = store.set_journal_aside(settlement.lineage_of_journal)
            ui.warn(f"the journal was kept as {aside}; read it, then delete it")
        elif lines:
            store.remove_journal()
    elif notes:
        ui.warn("the next apply records these in the lockfile")
    return Prepared(settled, listing, inputs, comparison)
