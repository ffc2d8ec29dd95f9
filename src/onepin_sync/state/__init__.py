"""Where sync state lives: the lockfile, the state lock and the journal, behind one port.

    store.py      the `StateStore` port and `FileStateStore`; `open_state_store` picks a backend
    remote.py     `ObjectStateStore`: the state, lock and journal in object storage (obstore,
                  imported only when a project sets `state.url`)
    lockfile.py   the lockfile: strict read, deterministic atomic write
    statelock.py  the exclusive lock with its holder (flock; the kernel frees a dead holder's)
    journal.py    the write-ahead journal of an apply in progress
    recovery.py   settling a journal left by an interrupted apply

Commands reach state only through a `StateStore`. Imports `core/`, `files/` (the writer), the
api port and `errors`; never commands/, views/ or cli/.
"""
