"""The drift classifier: who changed a managed workflow since it was last applied.

Three-way, over fingerprints (`fingerprint.py`): the lockfile entry remembers what was applied
(`applied_hash`) and what the workspace held right after (`remote_hash`, read at
`remote_updated_at`).

    desired vs applied | remote vs remote_hash | verdict
    same               | same                  | UNCHANGED (even if desired and remote differ)
    changed            | same                  | CHANGED_IN_GIT
    same               | changed               | DRIFT (changed outside onepin-sync)
    changed            | changed               | CONFLICT

The workspace counts as changed only when its spec differs from `remote_hash` *and* its
`updated_at` moved since: the API returns definitions config-migrated on read, so a server
upgrade re-spells a workflow nobody touched (defaults filled, keys added, nodes in another
order) without a write, and that is no one's change. A spelling that differs at the same
`updated_at` is recorded (a refresh), never planned as drift or a conflict.

An entry whose `accepted_remote` is set (`--refresh-only` took a remote change into the lockfile
that the files do not have yet) is ACCEPTED while neither side moves on: `plan` then says the
files are behind the workspace and `pull` writes the change into them. Any further change on
either side is a CONFLICT: an update would revert the accepted change, a pull would lose the
file's edit.

The planner, journal recovery, `pull`, `import` and the saved-plan checks all ask this one
function. Pure.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Verdict(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED_IN_GIT = "changed in git"
    DRIFT = "changed outside onepin-sync"
    CONFLICT = "changed in git and outside onepin-sync"
    ACCEPTED = "accepted from outside onepin-sync, not in the files yet"

    @property
    def desired_changed(self) -> bool:
        return self in (Verdict.CHANGED_IN_GIT, Verdict.CONFLICT)

    @property
    def remote_changed(self) -> bool:
        """Whether the workspace holds something the files do not (what `pull` writes)."""
        return self in (Verdict.DRIFT, Verdict.CONFLICT, Verdict.ACCEPTED)


class Recorded(Protocol):
    """What classification needs of a lockfile entry."""

    @property
    def applied_hash(self) -> str: ...
    @property
    def remote_hash(self) -> str: ...
    @property
    def remote_updated_at(self) -> datetime: ...
    @property
    def accepted_remote(self) -> bool: ...


def classify(
    entry: Recorded, desired_fp: str, remote_fp: str, remote_updated_at: datetime
) -> Verdict:
    """The verdict for one managed workflow (see the module's table): `desired_fp` is the file's
    fingerprint, `remote_fp` and `remote_updated_at` the workspace copy's."""
    desired_changed = desired_fp != entry.applied_hash
    remote_changed = remote_fp != entry.remote_hash and remote_updated_at != entry.remote_updated_at
    if entry.accepted_remote:
        return Verdict.CONFLICT if desired_changed or remote_changed else Verdict.ACCEPTED
    if desired_changed and remote_changed:
        return Verdict.CONFLICT
    if desired_changed:
        return Verdict.CHANGED_IN_GIT
    if remote_changed:
        return Verdict.DRIFT
    return Verdict.UNCHANGED
