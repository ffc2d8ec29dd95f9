"""Planning without holding what did not change: files and listed workflows exactly as recorded.

A no-change plan of 10,000 workflows with 30 KB definitions would hold 600 MB of definitions,
both sides of every workflow, only to find their fingerprints equal to the lockfile's. Instead:

- a file whose fingerprint (under the rules its entry recorded) is the entry's `applied_hash`
  is kept as an `AppliedFile`, without its spec (`applied_file`, called by the loader as each
  file is read);
- a listed workflow of such a file whose fingerprint is the entry's `remote_hash` is kept
  without its definition (`ListingSettler`, called as each listing page is read), and its id
  is recorded in `RemoteState.settled`;
- the planner plans such a pair from the lockfile entry alone (`is_settled`): the verdict is
  UNCHANGED, which is what the fingerprints would have said;
- any other `AppliedFile` is read again before planning (`unsettled_keys`): its workspace copy
  changed or is gone, or the lockfile changed since the file was read (another apply ran).

Nothing is dropped for a lockfile with an interrupted apply to settle (journal, pending creates)
or for a project file that moves or removes keys: those runs hold everything, as before. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint, remote_fingerprint
from onepin_sync.core.models import (
    AppliedFile,
    DesiredState,
    DesiredWorkflow,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
)


def applied_file(state: StateFile) -> Callable[[DesiredWorkflow], AppliedFile | None]:
    """For the loader: a loaded file as an `AppliedFile` when it is exactly as last applied."""

    def applied(workflow: DesiredWorkflow) -> AppliedFile | None:
        entry = state.workflows.get(workflow.key)
        if (
            entry is None
            or entry.accepted_remote
            or workflow.ignore_changes != entry.ignore_changes
        ):
            return None
        rules = IgnoreRules.of(entry.ignore_changes)
        if desired_fingerprint(workflow.spec, state.salt, rules) != entry.applied_hash:
            return None
        return AppliedFile(
            key=workflow.key,
            path=workflow.path,
            lifecycle=workflow.lifecycle,
            secret_paths=workflow.secret_paths,
            ignore_changes=workflow.ignore_changes,
            applied_hash=entry.applied_hash,
        )

    return applied


def _recorded(file: AppliedFile, entry: StateEntry | None) -> bool:
    """Whether `entry` is still the one `file` was found exactly as applied under."""
    return (
        entry is not None
        and not entry.accepted_remote
        and entry.applied_hash == file.applied_hash
        and entry.ignore_changes == file.ignore_changes
    )


class ListingSettler:
    """Called on each listed workflow as it is read: the workflow of an `AppliedFile` whose
    fingerprint is its entry's `remote_hash` comes back without its definition, and its id is
    added to `settled`."""

    def __init__(self, state: StateFile, applied: Mapping[str, AppliedFile]) -> None:
        self._salt = state.salt
        self._entries = {
            entry.id: entry
            for key, entry in state.workflows.items()
            if key in applied and _recorded(applied[key], entry)
        }
        self.settled: set[str] = set()

    def __call__(self, workflow: RemoteWorkflow) -> RemoteWorkflow:
        entry = self._entries.get(workflow.id)
        if entry is None:
            return workflow
        rules = IgnoreRules.of(entry.ignore_changes)
        if remote_fingerprint(workflow.spec, self._salt, rules) != entry.remote_hash:
            self.settled.discard(workflow.id)  # a listing read again: its latest read counts
            return workflow
        self.settled.add(workflow.id)
        return workflow.model_copy(update={"definition": {}})


def is_settled(key: str, desired: DesiredState, remote: RemoteState, state: StateFile) -> bool:
    """Whether `key` can be planned from its lockfile entry alone (see the module docstring)."""
    file = desired.applied.get(key)
    entry = state.workflows.get(key)
    return (
        file is not None
        and entry is not None
        and _recorded(file, entry)
        and entry.id in remote.settled
        and entry.id in remote.workflows
    )


def unsettled_keys(desired: DesiredState, remote: RemoteState, state: StateFile) -> list[str]:
    """The `AppliedFile`s the planner needs the spec of: read them again before planning."""
    return sorted(k for k in desired.applied if not is_settled(k, desired, remote, state))
