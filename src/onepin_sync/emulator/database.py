"""The emulator's SQLite file: where it lives, its schema, and opening it safely.

`open_database` creates the folder and the file if needed, refuses a file that is not SQLite or
holds a newer schema than this code knows (`SCHEMA_VERSION`, kept in `PRAGMA user_version`), and
returns one connection in autocommit mode whose rows are `sqlite3.Row` (columns by name). File
databases use WAL, so several emulators may share one file. `store.py` holds the queries.

Standard library only (no FastAPI): the CLI reads `DEFAULT_DB_PATH` from here without the extra.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from onepin_sync.emulator.errors import EmulatorError

DEFAULT_DB_PATH = Path(".onepin-sync") / "emulator.db"
"""Where `serve` and `--emulator` keep their data by default (relative to the project)."""
SCHEMA_VERSION = 1
RUN_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed", "cancelled", "paused")

RUN_COLUMNS = tuple(f"runs_{status}" for status in RUN_STATUSES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS workflows (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    name_source TEXT NOT NULL,
    description TEXT,
    description_folded TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    runs_count INTEGER NOT NULL DEFAULT 0,
    last_run_at TEXT,
    last_run_status TEXT,
    {", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in RUN_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS workflows_by_updated
    ON workflows (workspace_id, updated_at DESC, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS workflows_by_name
    ON workflows (workspace_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS workflows_by_runs
    ON workflows (workspace_id, runs_count DESC, id) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS write_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_write_at TEXT NOT NULL
);
"""


def open_database(path: str | Path) -> sqlite3.Connection:
    """The database at `path` (created if needed), or a private one for `:memory:`.

    Raises EmulatorError when the file cannot be created or is not an emulator database of a
    version this code understands.
    """
    target = str(path)
    in_memory = target == ":memory:"
    if not in_memory:
        target = str(Path(target).expanduser())
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmulatorError(f"cannot create the emulator database at {target}: {exc}") from None
    try:
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as exc:
        raise EmulatorError(f"cannot open the emulator database {target}: {exc}") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        if not in_memory:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()["user_version"]
        if version > SCHEMA_VERSION:
            raise EmulatorError(
                f"the emulator database {target} has schema version {version}; this "
                f"onepin-sync understands up to {SCHEMA_VERSION} (upgrade, or use another --db)"
            )
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise EmulatorError(f"cannot use {target} as the emulator database: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn
