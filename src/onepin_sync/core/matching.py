"""Matching an unanswered create to a listed workflow: which workflow, if any, it made.

A create whose answer never arrived may or may not have made a workflow. Among the listed
workflows, a candidate has exactly the name sent, the same structure (node ids and types, edges:
what a server never rewrites, unlike configs and defaults), was created no earlier than the
request by the server's own clock (minus `CLOCK_SKEW`, which also covers the one-second
resolution of the `Date` header the client reads that clock from), and is not already claimed
(managed, or adopted by another create of this run). Among several (two files of the same name
and graph, say), the one whose content is closest to what the create sent wins (the fewest
field differences), then the newest.

A create is *surely absent* once a listing read `SETTLE_AFTER` past its sending (server time)
shows no candidate: the server had that long to finish a request whose sender is gone (a run
finding one sooner waits out the rest and lists again). That is a minute, not the client's own
timeout: a server keeps working on a request its client gave up on (a `--timeout`, a cancelled
job), for as long as its gateway lets a request run, and a common gateway allows 60 s. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import name_fingerprint, structure_fingerprint
from onepin_sync.core.models import PendingCreate, RemoteWorkflow, WorkflowSpec

CLOCK_SKEW = timedelta(seconds=3)
SETTLE_AFTER = timedelta(seconds=60)


def created_by(
    pending: PendingCreate,
    listed: Iterable[RemoteWorkflow],
    *,
    salt: str,
    claimed: Collection[str],
    sent: WorkflowSpec | None = None,
) -> RemoteWorkflow | None:
    """The workflow the unanswered create `pending` made, if the listing shows it; `sent`, the
    spec it sent when known (else the newest candidate wins)."""
    earliest = pending.sent_at - CLOCK_SKEW
    candidates = [
        w
        for w in listed
        if w.id not in claimed
        and w.created_at >= earliest
        and name_fingerprint(w.name, salt) == pending.name_hash
        and structure_fingerprint(w.definition, salt) == pending.structure
    ]
    if len(candidates) > 1 and sent is not None:
        distance = {w.id: len(differences(w.spec, sent).changes) for w in candidates}
        closest = min(distance.values())
        candidates = [w for w in candidates if distance[w.id] == closest]
    return max(candidates, key=lambda w: (w.created_at, w.id), default=None)


def surely_absent(pending: PendingCreate, listed_at: datetime) -> bool:
    """Whether a listing read at `listed_at` (server time) that lacks it proves it never landed."""
    return settle_wait(pending, listed_at) <= 0


def settle_wait(pending: PendingCreate, listed_at: datetime) -> float:
    """Seconds until a listing lacking `pending` would prove it absent (<= 0: already)."""
    return (pending.sent_at + SETTLE_AFTER - listed_at).total_seconds()
