"""What applying a plan did: each change's status, and the lockfile state it leaves. Pure."""

from __future__ import annotations

from enum import StrEnum

from onepin_sync.core.models import Action, Change, FrozenModel, StateFile

CANCELLED_IN_FLIGHT = "cancelled in flight by a second interrupt; the next run settles it"
"""The detail of a write a second SIGINT/SIGTERM cut off mid-flight (its fate unknown)."""


class ChangeStatus(StrEnum):
    """How one planned change ended."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CONFLICT = "conflict"


class ChangeResult(FrozenModel):
    key: str
    action: Action
    status: ChangeStatus
    detail: str | None = None
    remote_id: str | None = None


class ApplyResult(FrozenModel):
    results: tuple[ChangeResult, ...]
    state: StateFile
    unresolved: tuple[str, ...] = ()  # keys whose write has no outcome: the next run settles them

    @property
    def complete(self) -> bool:
        return all(r.status is ChangeStatus.DONE for r in self.results)

    def count(self, status: ChangeStatus) -> int:
        return sum(1 for r in self.results if r.status is status)


def change_result(
    change: Change, status: ChangeStatus, detail: str | None, remote_id: str | None = None
) -> ChangeResult:
    """The result of `change`, carrying the id it was planned with unless a write gave one."""
    return ChangeResult(
        key=change.key,
        action=change.action,
        status=status,
        detail=detail,
        remote_id=remote_id or change.remote_id,
    )
