"""Matching an ambiguous create to a listed workflow: which workflow, if any, it made.

A create whose answer never arrived may or may not have made a workflow. Among the listed
workflows, a candidate has exactly the spec's name, the same definition once both are in
comparable form (numbers by value: the server returns positions as floats), was created no
earlier than the request (minus `CLOCK_SKEW`) and is not already claimed (managed, or adopted by
another create of this run). The newest candidate wins. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from onepin_sync.core.diff import json_equal
from onepin_sync.core.fingerprint import comparable_definition
from onepin_sync.core.models import RemoteWorkflow, WorkflowSpec

CLOCK_SKEW = timedelta(seconds=2)


def created_by(
    spec: WorkflowSpec,
    listed: Iterable[RemoteWorkflow],
    *,
    since: datetime,
    claimed: Collection[str],
) -> RemoteWorkflow | None:
    """The workflow an ambiguous create of `spec`, sent at `since` (aware), made, if any."""
    wanted = comparable_definition(spec.definition)
    earliest = since - CLOCK_SKEW
    candidates = [
        w
        for w in listed
        if w.name == spec.name
        and w.id not in claimed
        and w.created_at >= earliest
        and json_equal(comparable_definition(w.definition), wanted)
    ]
    return max(candidates, key=lambda w: (w.created_at, w.id), default=None)
