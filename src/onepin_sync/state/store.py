"""The state seam: one `StateStore` port through which every command reaches its state.

State is the lockfile (which workflows are managed, with their fingerprints), the state lock
(one writer at a time) and the journal (this machine's crash record of an apply in progress).
Commands never touch a path of their own: they ask the store. `FileStateStore` keeps all three
next to each other on disk; `ObjectStateStore` (`remote.py`, imported only when a project sets
`state.url`) keeps them in object storage, so CI runners share them without committing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from onepin_sync.core.models import StateFile
from onepin_sync.state.journal import Journal, JournalLine, JournalWriter, read_journal
from onepin_sync.state.lockfile import read_lockfile, write_lockfile
from onepin_sync.state.statelock import StateLock, force_unlock, live_holder


class StateStore(Protocol):
    """Where a target's state lives (see the module docstring)."""

    @property
    def location(self) -> str:
        """The lockfile's place, as messages name it."""
        ...

    def exists(self) -> bool:
        """Whether a lockfile was ever written (a first apply has none)."""
        ...

    def read(self) -> StateFile | None:
        """The lockfile, or None when there is none yet; refuses a damaged one (StateError)."""
        ...

    def write(self, state: StateFile) -> None:
        """Replace the lockfile atomically; the caller holds the lock."""
        ...

    def remove(self) -> None:
        """Delete the lockfile (once `state migrate` has moved it elsewhere); holding the lock."""
        ...

    def lock(self, *, timeout: float, env: Mapping[str, str]) -> AbstractContextManager[object]:
        """Hold the exclusive state lock while the context is open (LockHeldError when taken)."""
        ...

    def live_holder(self) -> Mapping[str, object] | None:
        """Who holds the lock right now, if a live run does (asked without taking it)."""
        ...

    def force_unlock(self, lock_id: str) -> None:
        """Release the lock of the stuck holder `lock_id` (InputError for any other id)."""
        ...

    def open_journal(self) -> JournalWriter:
        """The journal, open for appending intents and outcomes."""
        ...

    def read_journal(self) -> list[JournalLine]:
        """What an interrupted apply left in the journal ([] when there is none)."""
        ...

    def remove_journal(self) -> None:
        """Drop the journal once its writes are all recorded in the lockfile."""
        ...

    def set_journal_aside(self, lineage: str) -> str:
        """Keep a journal that cannot be settled where a person finds it; returns where."""
        ...


class FileStateStore:
    """The lockfile at `lockfile`, with the lock and journal in `.onepin-sync/` beside it.

    The default lockfile keeps `lock` and `journal.jsonl`; another lockfile name gets its own
    pair (`lock.<name>`, `journal.<name>.jsonl`), so environments never share them.
    """

    def __init__(self, lockfile: Path, default_name: str = "onepin-sync.lock") -> None:
        self.lockfile = lockfile
        suffix = "" if lockfile.name == default_name else f".{lockfile.name}"
        self.lock_path = lockfile.parent / ".onepin-sync" / f"lock{suffix}"
        self.journal_path = lockfile.parent / ".onepin-sync" / f"journal{suffix}.jsonl"
        self._read: tuple[tuple[int, int, int], StateFile | None] | None = None

    @property
    def location(self) -> str:
        return str(self.lockfile)

    def exists(self) -> bool:
        return self.lockfile.exists()

    def read(self) -> StateFile | None:
        """The lockfile; read again only when the file changed since the last read (every
        write replaces it, a new inode: a run reading it twice parses it once)."""
        try:
            info = os.stat(self.lockfile)
        except OSError:
            return read_lockfile(self.lockfile)  # missing (None) or unreadable (its error)
        seen = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._read is not None and self._read[0] == seen:
            return self._read[1]
        state = read_lockfile(self.lockfile)
        self._read = (seen, state)
        return state

    def write(self, state: StateFile) -> None:
        self._read = None
        write_lockfile(self.lockfile, state)

    def remove(self) -> None:
        self.lockfile.unlink(missing_ok=True)

    def lock(self, *, timeout: float, env: Mapping[str, str]) -> StateLock:
        return StateLock(self.lock_path, timeout=timeout, env=env)

    def live_holder(self) -> Mapping[str, object] | None:
        return live_holder(self.lock_path)

    def force_unlock(self, lock_id: str) -> None:
        force_unlock(self.lock_path, lock_id)

    def open_journal(self) -> Journal:
        return Journal(self.journal_path)

    def read_journal(self) -> list[JournalLine]:
        return read_journal(self.journal_path)

    def remove_journal(self) -> None:
        self.journal_path.unlink(missing_ok=True)

    def set_journal_aside(self, lineage: str) -> str:
        aside = self.journal_path.with_name(f"{self.journal_path.stem}.{lineage}.unsettled")
        self.journal_path.replace(aside)
        return str(aside)


def open_state_store(
    lockfile: Path, url: str | None = None, env: Mapping[str, str] | None = None
) -> StateStore:
    """The store for a project's state setting: the one place a backend is chosen. `url` is a
    state object in object storage (reached with `env`'s credentials), else the lockfile."""
    if url is None:
        return FileStateStore(lockfile)
    from onepin_sync.state.remote import ObjectStateStore  # obstore only when it is used

    return ObjectStateStore(url, env or {})
