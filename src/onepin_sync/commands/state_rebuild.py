"""`state rebuild`: reconstruct a lost (or partly lost) lockfile from the files and the workspace.

Talks to the API like `plan`: the workspace binding holds (a lockfile of another workspace is
refused), an interrupted apply is settled first, and one listing is read. Every workflow file
the lockfile does not know is matched to a listed, unclaimed workflow by name and structure
(`core/rebuild.py`); entries already in the lockfile are kept as they are. Ambiguous matches
are refused, all listed, and nothing is written. Under the state lock; one atomic write with the
serial bumped (a lockfile that did not exist starts a new lineage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    connect,
    hold_lock,
    read_inputs_online,
    require_folder,
)
from onepin_sync.commands.preparation import prepare
from onepin_sync.core.rebuild import Rebuild, rebuild_state
from onepin_sync.errors import ConflictError, ExitCode
from onepin_sync.files.project import TargetOptions


@dataclass(frozen=True)
class RebuildSettings:
    target: TargetOptions
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class RebuildOutcome:
    location: str
    rebuild: Rebuild
    kept: int  # entries the lockfile already had
    written: bool
    exit_code: int = ExitCode.OK


async def run(settings: RebuildSettings, env: RunEnvironment, ui: Ui) -> RebuildOutcome:
    inputs = await read_inputs_online(settings.target, env, ui)
    require_folder(inputs)
    store = inputs.store
    with hold_lock(store, settings.lock_timeout, env, ui):
        async with connect(inputs, settings.client, env, ui) as (target, client):
            prepared = await prepare(inputs, target, client, ui, persist=True)
        listing = prepared.listing or []
        spellings = prepared.settler.digests if prepared.settler is not None else {}
        rebuilt = rebuild_state(
            inputs.desired, listing, prepared.state, prepared.comparison, spellings
        )
        if rebuilt.ambiguous:
            raise ConflictError(_ambiguity(rebuilt.ambiguous))
        written = rebuilt.state is not prepared.state
        if written:
            store.write(rebuilt.state)
    return RebuildOutcome(store.location, rebuilt, len(prepared.state.workflows), written)


def _ambiguity(ambiguous: Mapping[str, tuple[str, ...]]) -> str:
    """Every ambiguous match in one message: files with several candidates, and workflows that
    several files match."""
    parts = []
    for key, ids in sorted(ambiguous.items()):
        if len(ids) > 1:
            parts.append(f"{key} matches {len(ids)} workflows ({', '.join(ids)})")
        else:
            others = sorted(k for k, found in ambiguous.items() if k != key and ids[0] in found)
            parts.append(f"{key} matches {ids[0]}, as {' and '.join(others)} also do")
    return (
        "state rebuild refused, nothing was written: ambiguous matches by name and structure: "
        + "; ".join(parts)
        + ". Adopt each of them with `onepin-sync import ID --key KEY`, then rebuild again"
    )
