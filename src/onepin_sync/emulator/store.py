"""SQLite storage of the emulator's workflows (stdlib `sqlite3`, one connection).

Definitions are stored raw, as written, as JSON text; read-time migration happens elsewhere
(`migrate.py`). Deletes are soft (`deleted_at`); every query sees live rows only.

Concurrency: the server calls the store only from its event loop thread, so requests are
serialized on one connection (`check_same_thread=False` lets the embedded server open it on the
caller's thread). File databases use WAL; several processes may share one file, since each write
takes the database's write lock (`BEGIN IMMEDIATE`) and reads the write clock inside it.

The write clock: every write stamps `updated_at` with `max(now, last write + 1 µs)`, the last value
kept in the database, so `updated_at` strictly increases across all writes, restarts and processes.

Imports only the standard library and sibling pure modules (no FastAPI): the CLI reads
`DEFAULT_DB_PATH` from here without the emulator extra.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from onepin_sync.emulator.envelope import format_timestamp, parse_timestamp
from onepin_sync.emulator.errors import EmulatorError

DEFAULT_DB_PATH = Path(".onepin-sync") / "emulator.db"
"""Where `serve` and `--emulator` keep their data by default (relative to the project)."""
SCHEMA_VERSION = 1
RUN_STATUSES: tuple[str, ...] = ("pending", "running", "completed", "failed", "cancelled", "paused")

_RUN_COLUMNS = tuple(f"runs_{status}" for status in RUN_STATUSES)
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
    {", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in _RUN_COLUMNS)}
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

_SUMMARY_COLUMNS = (
    "id, workspace_id, user_id, name, name_source, description, created_at, updated_at, "
    "runs_count, last_run_at, last_run_status, " + ", ".join(_RUN_COLUMNS)
)
_SORT_COLUMNS: Mapping[str, str] = {
    "name": "name",
    "updated_at": "updated_at",
    "runs_count": "runs_count",
}
_DIRECTIONS: Mapping[str, str] = {"asc": "ASC", "desc": "DESC"}
_STATUS_FILTERS: Mapping[str, str] = {
    "draft": "runs_count = 0",
    "completed": "last_run_status = 'completed'",
    "failed": "last_run_status = 'failed'",
    "running": "last_run_status IN ('running', 'paused')",
    "paused": "0",  # accepted by the real API, but it never matches anything
}
_WRITABLE = frozenset({"name", "name_source", "description", "definition"})


@dataclass(frozen=True, slots=True)
class WorkflowRecord:
    """One stored workflow; `definition_json` is None when a listing did not ask for it."""

    id: str
    workspace_id: str
    user_id: str
    name: str
    name_source: str
    description: str | None
    created_at: str
    updated_at: str
    runs_count: int
    last_run_at: str | None
    last_run_status: str | None
    run_status_counts: Mapping[str, int]
    definition_json: str | None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated `GET /workflows` query. `sort` is (field, direction) pairs; `id ASC` follows."""

    offset: int = 0
    limit: int = 20
    search: str | None = None
    sort: tuple[tuple[str, str], ...] = (("updated_at", "desc"),)
    status: str | None = None
    has_failed_run: bool | None = None
    last_run_after: str | None = None  # formatted like `format_timestamp`
    last_run_before: str | None = None
    include_definition: bool = False


def _fold(text: str | None) -> str:
    return (text or "").casefold()


def _record(row: Sequence[Any], with_definition: bool) -> WorkflowRecord:
    counts = dict(zip(RUN_STATUSES, row[11:17], strict=True))
    return WorkflowRecord(
        id=row[0],
        workspace_id=row[1],
        user_id=row[2],
        name=row[3],
        name_source=row[4],
        description=row[5],
        created_at=row[6],
        updated_at=row[7],
        runs_count=row[8],
        last_run_at=row[9],
        last_run_status=row[10],
        run_status_counts=counts,
        definition_json=row[17] if with_definition else None,
    )


class WorkflowStore:
    """All reads and writes of workflows. Not thread-safe: call it from one thread at a time."""

    def __init__(self, connection: sqlite3.Connection, location: str) -> None:
        self._conn = connection
        self.location = location

    @classmethod
    def open(cls, path: str | Path) -> WorkflowStore:
        """Open (creating if needed) the database at `path`, or a private one for `:memory:`.

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
                raise EmulatorError(
                    f"cannot create the emulator database at {target}: {exc}"
                ) from None
        try:
            conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise EmulatorError(f"cannot open the emulator database {target}: {exc}") from None
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            if not in_memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
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
        return cls(conn, target)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    # --- transactions and the write clock --------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _next_write_timestamp(self) -> str:
        """`max(now, last write + 1 µs)`, recorded; call inside a write transaction."""
        now = datetime.now(UTC)
        row = self._conn.execute("SELECT last_write_at FROM write_clock WHERE id = 1").fetchone()
        if row is not None:
            last = parse_timestamp(row[0])
            if now <= last:
                now = last + timedelta(microseconds=1)
        stamp = format_timestamp(now)
        self._conn.execute(
            "INSERT INTO write_clock (id, last_write_at) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET last_write_at = excluded.last_write_at",
            (stamp,),
        )
        return stamp

    # --- reads -----------------------------------------------------------------------------------

    def get(self, workspace_id: str, workflow_id: str) -> WorkflowRecord | None:
        """A live workflow of the workspace, with its definition."""
        row = self._conn.execute(
            f"SELECT {_SUMMARY_COLUMNS}, definition FROM workflows "
            "WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
            (workflow_id, workspace_id),
        ).fetchone()
        return None if row is None else _record(row, with_definition=True)

    def list(self, workspace_id: str, query: ListQuery) -> tuple[list[WorkflowRecord], int]:
        """One page of the workspace's live workflows, and the filtered total."""
        where = ["workspace_id = ?", "deleted_at IS NULL"]
        params: list[Any] = [workspace_id]
        if query.search is not None:
            needle = _fold(query.search)
            where.append("(instr(name_folded, ?) > 0 OR instr(description_folded, ?) > 0)")
            params += [needle, needle]
        if query.status is not None:
            where.append(_STATUS_FILTERS[query.status])
        if query.has_failed_run is not None:
            where.append("runs_failed > 0" if query.has_failed_run else "runs_failed = 0")
        if query.last_run_after is not None:
            where.append("last_run_at >= ?")
            params.append(query.last_run_after)
        if query.last_run_before is not None:
            where.append("last_run_at <= ?")
            params.append(query.last_run_before)
        where_sql = " AND ".join(where)
        total = self._conn.execute(f"SELECT count(*) FROM workflows WHERE {where_sql}", params)
        count = int(total.fetchone()[0])
        order = [f"{_SORT_COLUMNS[f]} {_DIRECTIONS[d]}" for f, d in query.sort] + ["id ASC"]
        columns = _SUMMARY_COLUMNS + (", definition" if query.include_definition else "")
        rows = self._conn.execute(
            f"SELECT {columns} FROM workflows WHERE {where_sql} "
            f"ORDER BY {', '.join(order)} LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        ).fetchall()
        return [_record(r, query.include_definition) for r in rows], count

    # --- writes ----------------------------------------------------------------------------------

    def create(
        self,
        *,
        workspace_id: str,
        user_id: str,
        name: str,
        name_source: str,
        description: str | None,
        definition_json: str,
    ) -> WorkflowRecord:
        """Insert a new workflow with zero runs."""
        workflow_id = str(uuid.uuid4())
        with self._transaction() as conn:
            stamp = self._next_write_timestamp()
            conn.execute(
                "INSERT INTO workflows (id, workspace_id, user_id, name, name_folded, name_source, "
                "description, description_folded, definition, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    workflow_id,
                    workspace_id,
                    user_id,
                    name,
                    _fold(name),
                    name_source,
                    description,
                    _fold(description),
                    definition_json,
                    stamp,
                    stamp,
                ),
            )
        record = self.get(workspace_id, workflow_id)
        assert record is not None
        return record

    def update(
        self, workspace_id: str, workflow_id: str, changes: Mapping[str, str | None]
    ) -> WorkflowRecord | None:
        """Replace the given top-level fields (name, name_source, description, definition).

        Returns None when the workflow is not live in the workspace. `updated_at` always moves,
        even when the new values equal the old ones (the real API does not compare either).
        """
        unknown = set(changes) - _WRITABLE
        if unknown:
            raise ValueError(f"not writable: {sorted(unknown)}")
        assignments: dict[str, str | None] = {}
        for field, value in changes.items():
            assignments[field] = value
            if field in ("name", "description"):
                assignments[f"{field}_folded"] = _fold(value)
        with self._transaction() as conn:
            if not self._is_live(workspace_id, workflow_id):
                return None
            assignments["updated_at"] = self._next_write_timestamp()
            conn.execute(
                f"UPDATE workflows SET {', '.join(f'{c} = ?' for c in assignments)} WHERE id = ?",
                [*assignments.values(), workflow_id],
            )
        return self.get(workspace_id, workflow_id)

    def soft_delete(self, workspace_id: str, workflow_id: str) -> bool:
        """Hide the workflow from every read; False when it was not live."""
        with self._transaction() as conn:
            if not self._is_live(workspace_id, workflow_id):
                return False
            stamp = self._next_write_timestamp()
            conn.execute(
                "UPDATE workflows SET deleted_at = ?, updated_at = ? WHERE id = ?",
                (stamp, stamp, workflow_id),
            )
        return True

    def touch_least_recent(self, workspace_id: str) -> str | None:
        """Bump `updated_at` of the workspace's least recently updated live workflow (its id)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id FROM workflows WHERE workspace_id = ? AND deleted_at IS NULL "
                "ORDER BY updated_at ASC, id ASC LIMIT 1",
                (workspace_id,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE workflows SET updated_at = ? WHERE id = ?",
                (self._next_write_timestamp(), row[0]),
            )
        return str(row[0])

    def record_run(self, workflow_id: str, status: str, created_at: str) -> WorkflowRecord | None:
        """Count one run of a live workflow (run history only; `updated_at` does not move)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT workspace_id, last_run_at FROM workflows "
                "WHERE id = ? AND deleted_at IS NULL",
                (workflow_id,),
            ).fetchone()
            if row is None:
                return None
            workspace_id, last_run_at = row
            latest = last_run_at is None or created_at >= last_run_at
            conn.execute(
                f"UPDATE workflows SET runs_count = runs_count + 1, "
                f"runs_{status} = runs_{status} + 1, "
                "last_run_at = CASE WHEN ? THEN ? ELSE last_run_at END, "
                "last_run_status = CASE WHEN ? THEN ? ELSE last_run_status END "
                "WHERE id = ?",
                (latest, created_at, latest, status, workflow_id),
            )
        return self.get(str(workspace_id), workflow_id)

    def _is_live(self, workspace_id: str, workflow_id: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM workflows WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL",
            (workflow_id, workspace_id),
        ).fetchone()
        return row is not None
