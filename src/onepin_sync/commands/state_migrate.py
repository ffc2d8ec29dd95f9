"""`state migrate --to URL|file|PATH`: move the state into object storage, or back into a file.

The state (lineage, serial, entries and pending creates, byte for byte) is written to the
destination, read back and compared, and only then removed from where the project keeps it now;
both places are locked meanwhile. Refused, with nothing moved: no state to move, an interrupted
apply's journal still unsettled, a destination that already holds state, or the same place.
The project file is not edited: the outcome says what to set in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepin_sync.commands.context import RunEnvironment, Ui, read_project
from onepin_sync.errors import ExitCode, InputError, StateError
from onepin_sync.files.project import TargetOptions, check_state_url
from onepin_sync.state.store import StateStore, open_state_store

TO_FILE = "file"  # `--to file`: the project's lockfile path


@dataclass(frozen=True)
class MigrateSettings:
    target: TargetOptions
    to: str
    lock_timeout: float = 0.0


@dataclass(frozen=True)
class MigrateOutcome:
    source: str
    destination: str
    to_url: bool  # the destination is object storage (else a lockfile)
    lineage: str
    serial: int
    exit_code: int = ExitCode.OK


def run(settings: MigrateSettings, env: RunEnvironment, ui: Ui) -> MigrateOutcome:
    paths, source = read_project(settings.target, env)
    to_url = "://" in settings.to
    if to_url:
        try:
            url = check_state_url(settings.to)
        except ValueError as exc:
            raise InputError(f"--to: {exc}") from None
        destination = open_state_store(paths.lockfile, url, env.environ)
    else:
        path = paths.lockfile if settings.to == TO_FILE else env.cwd / Path(settings.to)
        destination = open_state_store(path)
    if _same_place(source, destination):
        raise InputError(f"the state is already at {destination.location}")
    timeout = settings.lock_timeout
    with (
        source.lock(timeout=timeout, env=env.environ),
        destination.lock(timeout=timeout, env=env.environ),
    ):
        state = source.read()
        if state is None:
            raise InputError(f"there is no state at {source.location} to migrate")
        if source.read_journal():
            raise InputError(
                f"an interrupted apply left a journal for {source.location}; run plan or apply "
                "first to settle it, then migrate"
            )
        found = destination.read()
        if found is not None:
            raise InputError(
                f"{destination.location} already holds state (lineage {found.lineage}, serial "
                f"{found.serial}); nothing was moved. Remove it first if it is no longer used"
            )
        destination.write(state)
        if destination.read() != state:
            raise StateError(
                f"{destination.location} did not read back as written; {source.location} was "
                "left as it is"
            )
        source.remove()
    return MigrateOutcome(
        source.location, destination.location, to_url, state.lineage, state.serial
    )


def _same_place(a: StateStore, b: StateStore) -> bool:
    if "://" in a.location or "://" in b.location:
        return a.location == b.location
    return Path(a.location).resolve() == Path(b.location).resolve()
