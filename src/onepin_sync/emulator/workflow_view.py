"""How a stored workflow is shown: `WorkflowOut` / `WorkflowListItem`.

The definition is the stored raw JSON with the profile's read-time migration applied
(`migrate.py`), or left raw where the profile answers a write with the stored definition; every
other field is what the real server returns, including the run statistics with all six statuses.
Pure: no FastAPI.
"""

from __future__ import annotations

import json
from typing import Any

from onepin_sync.emulator.database import RUN_STATUSES
from onepin_sync.emulator.migrate import migrate_definition
from onepin_sync.emulator.profiles import CURRENT, ServerProfile
from onepin_sync.emulator.schemas import RunStatusCounts, WorkflowOut, dump
from onepin_sync.emulator.store import WorkflowRecord


def workflow_out(
    record: WorkflowRecord, profile: ServerProfile = CURRENT, *, migrated: bool = True
) -> WorkflowOut:
    """One workflow; the definition is included when the record carries it, migrated by
    `profile` unless `migrated` is False (then exactly as stored)."""
    fields: dict[str, Any] = {}
    if record.definition_json is not None:
        stored = json.loads(record.definition_json)
        fields["definition"] = migrate_definition(stored, profile) if migrated else stored
    return WorkflowOut(
        id=record.id,
        user_id=record.user_id,
        name=record.name,
        name_source=record.name_source,
        description=record.description,
        created_at=record.created_at,
        updated_at=record.updated_at,
        runs_count=record.runs_count,
        last_run_at=record.last_run_at,
        last_run_status=record.last_run_status,
        run_status_counts=RunStatusCounts(
            **{s: record.run_status_counts.get(s, 0) for s in RUN_STATUSES}
        ),
        **fields,
    )


def workflow_json(record: WorkflowRecord, profile: ServerProfile = CURRENT) -> dict[str, Any]:
    """The JSON of one workflow as a read returns it (what the benchmarks seed lockfiles with)."""
    out: dict[str, Any] = dump(workflow_out(record, profile))
    return out
