"""`state list | show KEY | mv OLD NEW | rm KEY`: read and edit the lockfile directly.

`list` and `show` only read. `mv` and `rm` change the lockfile alone and never talk to the API:
each takes the state lock, refuses while an interrupted apply's journal is unsettled (its lines
name keys), writes the whole lockfile atomically through the store with the serial bumped, and
is refused (nothing written) when the key is unknown or taken. `rm` forgets: the workflow stays
in Onepin, unmanaged, adoptable again with `import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepin_sync.commands.context import RunEnvironment, Ui, hold_lock, read_project
from onepin_sync.commands.importing import check_key
from onepin_sync.core.models import StateFile
from onepin_sync.core.transitions import forgotten, moved
from onepin_sync.errors import ExitCode, InputError
from onepin_sync.files.discovery import WORKFLOW_SUFFIXES
from onepin_sync.files.project import TargetOptions
from onepin_sync.state.store import StateStore


@dataclass(frozen=True)
class StateReadSettings:
    target: TargetOptions
    key: str | None = None  # `show`: the key to show


@dataclass(frozen=True)
class StateReadOutcome:
    """The lockfile as read (None when there is none yet), for `list` and `show`."""

    location: str
    state: StateFile | None
    key: str | None = None
    exit_code: int = ExitCode.OK


@dataclass(frozen=True)
class StateEditSettings:
    target: TargetOptions
    key: str
    new_key: str | None = None  # `mv`: where to; None for `rm`
    lock_timeout: float = 0.0


@dataclass(frozen=True)
class StateEditOutcome:
    location: str
    key: str
    new_key: str | None  # None: forgotten
    workflow_id: str
    serial: int
    file_left: str | None = None  # `rm` of a key whose workflow file is still there
    secret_places: int = 0  # `rm`: where the workflow holds secrets the files put there
    exit_code: int = ExitCode.OK


def run_read(settings: StateReadSettings, env: RunEnvironment, ui: Ui) -> StateReadOutcome:
    """The lockfile for `list`, or for `show KEY` (refusing a key it does not hold)."""
    _, store = read_project(settings.target, env)
    state = store.read()
    key = settings.key
    if key is not None and (state is None or not _holds(state, key)):
        raise InputError(f"{key} is not in {store.location} (see `onepin-sync state list`)")
    if state is None:
        ui.warn(f"there is no lockfile at {store.location} yet: nothing is managed")
    return StateReadOutcome(store.location, state, key)


def run_edit(settings: StateEditSettings, env: RunEnvironment, ui: Ui) -> StateEditOutcome:
    """`state mv` (with `new_key`) or `state rm`, under the state lock."""
    paths, store = read_project(settings.target, env)
    if settings.new_key is not None:
        check_key(settings.new_key)
    with hold_lock(store, settings.lock_timeout, env, ui):
        state = _settled_state(store)
        entry = state.workflows.get(settings.key)
        if settings.new_key is not None:
            changed = moved(state, settings.key, settings.new_key)
        else:
            if settings.key in state.pending:
                raise InputError(
                    f"{settings.key} has a create whose answer never came; run plan or apply "
                    "first to settle it"
                )
            changed = forgotten(state, settings.key)
        # Looked for before the write: nothing may fail once the state is written.
        left = _file_left(paths.workflows, settings.key) if settings.new_key is None else None
        store.write(changed)
    assert entry is not None  # moved/forgotten refuse a key without an entry
    secrets = len(entry.secret_paths) if settings.new_key is None else 0
    return StateEditOutcome(
        store.location, settings.key, settings.new_key, entry.id, changed.serial, left, secrets
    )


def _file_left(workflows: Path, key: str) -> str | None:
    """The workflow file of `key` when it is still there (a path that cannot be looked at,
    such as a name too long, is no file)."""
    for suffix in WORKFLOW_SUFFIXES:
        path = workflows / f"{key}{suffix}"
        try:
            if path.exists():
                return str(path)
        except OSError:
            continue
    return None


def _holds(state: StateFile, key: str) -> bool:
    return key in state.workflows or key in state.pending


def _settled_state(store: StateStore) -> StateFile:
    """The lockfile to edit: it must exist and have no interrupted apply left to settle."""
    state = store.read()
    if state is None:
        raise InputError(f"there is no lockfile at {store.location}: nothing to change")
    if store.read_journal():
        raise InputError(
            f"an interrupted apply left a journal for {store.location}; run plan or apply first "
            "to settle it, then edit the state"
        )
    return state
