"""Planning without holding what did not change: files and listed workflows exactly as recorded.

A no-change plan of 10,000 workflows with 30 KB definitions would hold 600 MB of definitions,
both sides of every workflow, only to find their fingerprints equal to the lockfile's. Instead:

- a file whose bytes, and the values of its placeholders, digest to its entry's `file_hash` is
  kept as an `AppliedFile` without being parsed (`AppliedFiles.unchanged`, called by the loader
  as each file is read): the entry recorded them when that file loaded as its `applied_hash`;
- so is a file whose fingerprint (under the rules its entry recorded) is the entry's
  `applied_hash`, once it is loaded (`AppliedFiles.loaded`): its bytes changed, not its spec,
  or the entry records no `file_hash` yet; planning it records the file's (a lockfile-only
  refresh), so the next run need not parse it;
- a listed workflow of such a file is kept without its definition when the listing spells it
  as the entry's `listed_hash` records, or else its fingerprint is the entry's `remote_hash`
  (`ListingSettler`, called as each listing page is read), and its id is recorded in
  `RemoteState.settled`;
- the planner plans such a pair from the lockfile entry alone (`is_settled`): the verdict is
  UNCHANGED, which is what the fingerprints would have said;
- any other `AppliedFile` is read again before planning (`unsettled_keys`): its workspace copy
  changed or is gone, or the lockfile changed since the file was read (another apply ran).

Nothing is dropped for a lockfile with an interrupted apply to settle (journal, pending creates)
or for a project file that moves or removes keys: those runs hold everything, as before. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from onepin_sync.core.fingerprint import (
    IgnoreRules,
    content_digest,
    desired_fingerprint,
    file_fingerprint,
    listed_fingerprint,
    remote_fingerprint,
)
from onepin_sync.core.models import (
    AppliedFile,
    DesiredState,
    DesiredWorkflow,
    Lifecycle,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
)


class AppliedFiles:
    """For the loader: the files exactly as last applied under `state`, as `AppliedFile`s."""

    def __init__(self, state: StateFile) -> None:
        self._state = state

    def unchanged(
        self,
        key: str,
        path: str,
        data: bytes,
        values: Callable[[Iterable[str]], Mapping[str, str | None]],
    ) -> AppliedFile | None:
        """Before it is parsed: the file of `key` (bytes `data`, at `path`) when they and the
        `values` its entry's variables take now digest to the entry's `file_hash`. The entry
        recorded them with the lifecycle flags, rules and secret places of that file."""
        entry = self._state.workflows.get(key)
        if entry is None or entry.file_hash is None or entry.accepted_remote:
            return None
        digest = content_digest(data, values(entry.variables))
        if file_fingerprint(digest, self._state.salt) != entry.file_hash:
            return None
        return AppliedFile(
            key=key,
            path=path,
            lifecycle=Lifecycle(prevent_destroy=entry.prevent_destroy, destroy=entry.destroy),
            secret_paths=entry.secret_paths,
            ignore_changes=entry.ignore_changes,
            applied_hash=entry.applied_hash,
            file_hash=entry.file_hash,
            variables=entry.variables,
        )

    def loaded(self, workflow: DesiredWorkflow) -> AppliedFile | None:
        """Once it is loaded: `workflow` when its fingerprint, under the rules its entry
        recorded, is the entry's `applied_hash` (its bytes changed in a way that changes no
        spec: a comment, the order of keys; or the entry records no `file_hash` yet)."""
        state = self._state
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
        flags = workflow.lifecycle
        return AppliedFile(
            key=workflow.key,
            path=workflow.path,
            lifecycle=Lifecycle(prevent_destroy=flags.prevent_destroy, destroy=flags.destroy),
            secret_paths=workflow.secret_paths,
            ignore_changes=workflow.ignore_changes,
            applied_hash=entry.applied_hash,
            file_hash=desired_file_hash(workflow, state.salt),
            variables=workflow.variables,
        )


def desired_file_hash(workflow: DesiredWorkflow, salt: str) -> str | None:
    """The `file_hash` an entry recording `workflow` as applied holds."""
    digest = workflow.content_digest
    return None if digest is None else file_fingerprint(digest, salt)


def _recorded(file: AppliedFile, entry: StateEntry | None) -> bool:
    """Whether `entry` is still the one `file` was found exactly as applied under."""
    return (
        entry is not None
        and not entry.accepted_remote
        and entry.applied_hash == file.applied_hash
        and entry.ignore_changes == file.ignore_changes
    )


class ListingSettler:
    """Called on each listed workflow as it is read, with the `listed_digest` of its spec as
    served: the workflow of an `AppliedFile` that is as its entry recorded comes back without its
    definition, and its id is added to `settled`. As recorded: its digest is the entry's
    `listed_hash` (the same text), or else its fingerprint is the entry's `remote_hash`. Every
    digest is kept in `digests` (by id), for the entries a run records."""

    def __init__(self, state: StateFile, applied: Mapping[str, AppliedFile]) -> None:
        self._salt = state.salt
        self._entries = {
            entry.id: entry
            for key, entry in state.workflows.items()
            if key in applied and _recorded(applied[key], entry)
        }
        self.settled: set[str] = set()
        self.digests: dict[str, str] = {}

    @property
    def holds(self) -> bool:
        """Whether it keeps every definition (no file is kept as applied)."""
        return not self._entries

    def __call__(self, workflow: RemoteWorkflow, digest: str | None) -> RemoteWorkflow:
        if digest is not None:
            self.digests[workflow.id] = digest
        entry = self._entries.get(workflow.id)
        if entry is None:
            return workflow
        if not self._as_recorded(workflow, digest, entry):
            self.settled.discard(workflow.id)  # a listing read again: its latest read counts
            return workflow
        self.settled.add(workflow.id)
        return workflow.model_copy(update={"definition": {}})

    def _as_recorded(self, workflow: RemoteWorkflow, digest: str | None, entry: StateEntry) -> bool:
        recorded = entry.listed_hash
        if digest is not None and recorded == listed_fingerprint(digest, self._salt):
            return True  # spelled as when its remote_hash was taken
        rules = IgnoreRules.of(entry.ignore_changes)
        return remote_fingerprint(workflow.spec, self._salt, rules) == entry.remote_hash


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
