"""How a stored workflow is shown: `WorkflowOut` / `WorkflowListItem`.

The definition is the stored raw JSON with the read-time migration applied (`migrate.py`); every
other field is what the real server returns, including the run statistics with all six statuses.
Pure: no FastAPI.
"""

from __future__ import annotations

import json
from typing import Any

from onepin_sync.emulator.database import RUN_STATUSES
from onepin_sync.emulator.migrate import migrate_definition
from onepin_sync.emulator.schemas import RunStatusCounts, WorkflowOut, dump
from onepin_sync.emulator.store import WorkflowRecord


def workflow_out(record: WorkflowRecord) -> WorkflowOut:
    """One workflow; the definition is included when the record carries it."""
    fields: dict[str, Any] = {}
    if record.definition_json is not None:
        fields["definition"] = migrate_definition(json.loads(record.definition_json))
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


def workflow_json(record: WorkflowRecord) -> dict[str, Any]:
    """The JSON of one workflow, as a response carries it."""
    out: dict[str, Any] = dump(workflow_out(record))
    return out
