"""The emulator's workflows in SQLite: every read and write, on one connection.

Definitions are stored raw, as written, as JSON text; read-time migration happens elsewhere
(`migrate.py`). Deletes are soft (`deleted_at`); every query sees live rows only.

Concurrency: the server calls the store only from its event loop thread, so requests are
serialized on one connection (`check_same_thread=False` lets the embedded server open it on the
caller's thread). File databases use WAL; several processes may share one file, since each write
takes the database's write lock (`BEGIN IMMEDIATE`) and reads the write clock inside it.

The write clock: every write stamps `updated_at` with `max(now, last write + 1 µs)`, the last value
kept in the database, so `updated_at` strictly increases across all writes, restarts and processes.

Rows are read by column name. Imports only the standard library and sibling pure modules (no
FastAPI).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from onepin_sync.emulator.clock import EmulatorClock
from onepin_sync.emulator.database import RUN_COLUMNS, RUN_STATUSES, open_database
from onepin_sync.emulator.envelope import format_timestamp, parse_timestamp

_SUMMARY_COLUMNS = (
    "id, workspace_id, user_id, name, name_source, description, created_at, updated_at, "
    "runs_count, last_run_at, last_run_status, " + ", ".join(RUN_COLUMNS)
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


def _record(row: sqlite3.Row) -> WorkflowRecord:
    """The record of a row selected with `_SUMMARY_COLUMNS` and a `definition` column (the JSON
    text, or NULL when the definition was not asked for)."""
    return WorkflowRecord(
        id=row["id"],
        workspace_id=row["workspace_id"],
        user_id=row["user_id"],
        name=row["name"],
        name_source=row["name_source"],
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        runs_count=row["runs_count"],
        last_run_at=row["last_run_at"],
        last_run_status=row["last_run_status"],
        run_status_counts={s: row[f"runs_{s}"] for s in RUN_STATUSES},
        definition_json=row["definition"],
    )


class WorkflowStore:
    """All reads and writes of workflows. Not thread-safe: call it from one thread at a time."""

    def __init__(self, connection: sqlite3.Connection, clock: EmulatorClock | None = None) -> None:
        """Wrap an open connection whose rows are `sqlite3.Row` (use `open`); writes are timed
        by `clock` (the machine's own time by default)."""
        self._conn = connection
        self._clock = clock or EmulatorClock()

    @classmethod
    def open(cls, path: str | Path, clock: EmulatorClock | None = None) -> WorkflowStore:
        """The store over the database at `path` (see `database.open_database`)."""
        return cls(open_database(path), clock)

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
        now = self._clock.now()
        row = self._conn.execute("SELECT last_write_at FROM write_clock WHERE id = 1").fetchone()
        if row is not None:
            last = parse_timestamp(row["last_write_at"])
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
        return None if row is None else _record(row)

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
        total = self._conn.execute(
            f"SELECT count(*) AS total FROM workflows WHERE {where_sql}", params
        )
        count = int(total.fetchone()["total"])
        order = [f"{_SORT_COLUMNS[f]} {_DIRECTIONS[d]}" for f, d in query.sort] + ["id ASC"]
        definition = "definition" if query.include_definition else "NULL AS definition"
        rows = self._conn.execute(
            f"SELECT {_SUMMARY_COLUMNS}, {definition} FROM workflows WHERE {where_sql} "
            f"ORDER BY {', '.join(order)} LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        ).fetchall()
        return [_record(r) for r in rows], count

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
                (self._next_write_timestamp(), row["id"]),
            )
        return str(row["id"])

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
            workspace_id, last_run_at = row["workspace_id"], row["last_run_at"]
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
