"""The planner: desired state + remote state + lockfile -> a frozen Plan.

Change detection is three-way per key: the lockfile remembers the fingerprint of the desired
spec last applied (`applied_hash`) and of the remote spec read back right after (`remote_hash`),
and `classify` gives the verdict:

    verdict          | plan
    UNCHANGED        | nothing, even if desired and remote differ literally
    CHANGED_IN_GIT   | update, "changed in git"
    DRIFT            | update, "changed outside onepin-sync" (the remote edit is reverted)
    CONFLICT         | update marked as conflict (refused unless forced)

When the normalised specs already agree, no write is planned and only the lockfile hashes move
(a `StateRefresh`). The project file's `moved:` and `removed:` entries are made on the lockfile
first (`renames.py`: lockfile-only refreshes). Deletes are planned only for lockfile keys whose
file is gone, unless the entry records `lifecycle.destroy: false` (then the key is forgotten and
its workflow left in Onepin); a delete whose content a create makes again is marked as a
replacement (a rename without a `moved:` entry). A managed id absent remotely is re-created.
Remote workflows not in the lockfile are counted, never touched;
a create beside one of the same name is marked as a possible duplicate. A key whose unanswered
create is still pending is not planned at all until it settles.

Pure: no IO, clock or environment. Guards raise `InputError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from onepin_sync.core.classify import Verdict, classify
from onepin_sync.core.diff import changed_fields, differences
from onepin_sync.core.fingerprint import (
    DEFAULT_COMPARISON,
    Comparison,
    IgnoreRules,
    desired_fingerprint,
    listed_hash,
    remote_fingerprint,
)
from onepin_sync.core.guards import unmanaged_by_name
from onepin_sync.core.ignore import with_remote_values
from onepin_sync.core.models import (
    Action,
    AppliedFile,
    Change,
    DesiredState,
    DesiredWorkflow,
    FilesBehind,
    FrozenModel,
    Plan,
    Reason,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
    WorkflowSpec,
)
from onepin_sync.core.redact import Redactor
from onepin_sync.core.renames import after_declared, declared_refreshes, mark_replacements
from onepin_sync.core.selection import EVERY_KEY, KeySelection
from onepin_sync.core.settled import desired_file_hash, unsettled_keys
from onepin_sync.core.spec_paths import SpecPath, copy_paths
from onepin_sync.core.transitions import entry_for, forget_refresh
from onepin_sync.errors import InputError

_ACTION_ORDER = {Action.CREATE: 0, Action.UPDATE: 1, Action.DELETE: 2}
_REASON = {
    Verdict.CHANGED_IN_GIT: Reason.CHANGED_IN_GIT,
    Verdict.DRIFT: Reason.DRIFT,
    Verdict.CONFLICT: Reason.CONFLICT,
}


class PlanOptions(FrozenModel):
    """Choices that change what is planned."""

    refresh_only: bool = False  # accept remote drift into the lockfile; plan no writes
    allow_empty_config: bool = False  # allow planning to delete everything when no files exist
    allow_empty_remote: bool = False  # allow an empty listing while the lockfile manages workflows
    selection: KeySelection = EVERY_KEY  # --target / --exclude: the keys planned


def plan_changes(
    desired: DesiredState,
    remote: RemoteState,
    state: StateFile,
    options: PlanOptions | None = None,
    comparison: Comparison | None = None,
) -> Plan:
    """Compute every change and lockfile refresh needed to make the workspace match the files.

    `comparison` names the server's catalogue (its config defaults are filled on both sides of
    a field diff); without it the bundled one is used.
    """
    options = options or PlanOptions()
    comparison = comparison or DEFAULT_COMPARISON
    _check_guards(desired, remote, state, options)
    selection = options.selection
    selection.check_matches(
        desired.workflows.keys() | state.workflows.keys() | state.pending.keys()
    )
    secrets = Redactor(desired.secret_values)
    declared = [
        r
        for r in declared_refreshes(desired, state)
        if selection.selects(r.key) or (r.moved_from and selection.selects(r.moved_from))
    ]
    managed_ids = {e.id for e in state.workflows.values()}
    unmanaged = unmanaged_by_name(remote.workflows.values(), managed_ids)
    original, state = state, after_declared(state, declared)
    unsettled = unsettled_keys(desired, remote, state)
    if unsettled:
        raise ValueError(f"files kept without their spec must be read again: {unsettled[:3]}")
    out = _Out()
    for key in sorted(desired.keys | state.workflows.keys()):
        if key in state.pending or not selection.selects(key):
            continue  # an unanswered create is planned once it settles
        if key in desired.applied:  # exactly as recorded on both sides (`settled.py`)
            _plan_settled(desired.applied[key], state, remote, secrets, out)
            continue
        wanted = desired.workflows.get(key)
        entry = state.workflows.get(key)
        current = remote.workflows.get(entry.id) if entry is not None else None
        if entry is not None and current is None and entry.id not in remote.confirmed_missing:
            raise ValueError(f"remote state is incomplete: managed id {entry.id} was not resolved")
        if wanted is None:
            assert entry is not None
            _plan_removed(state, key, current, options, out.changes, out.refreshes)
        elif entry is None:
            if not options.refresh_only:
                out.changes.append(_create_change(wanted, state.salt, Reason.NEW, unmanaged))
        elif current is None:
            if options.refresh_only:
                gone = StateRefresh(key=key, entry=None, reason=Reason.MISSING_REMOTELY)
                out.refreshes.append(gone)
            else:
                missing = _create_change(wanted, state.salt, Reason.MISSING_REMOTELY, unmanaged)
                out.changes.append(missing)
        else:
            listed = remote.listed.get(current.id)
            _plan_existing(
                wanted, entry, (current, listed), state.salt, secrets, options, comparison, out
            )
    out.changes.sort(key=lambda c: (_ACTION_ORDER[c.action], c.key))
    return Plan(
        changes=tuple(mark_replacements(out.changes, state.salt)),
        refreshes=tuple(_merged(declared, out.refreshes)),
        unmanaged_count=sum(1 for wid in remote.workflows if wid not in managed_ids),
        managed_count=len(original.workflows),
        pending=tuple(sorted(state.pending)),
        behind=tuple(out.behind),
        targets=selection.targets,
        excludes=selection.excludes,
        lineage=state.lineage,
        serial=state.serial,
    )


def _merged(declared: list[StateRefresh], planned: list[StateRefresh]) -> list[StateRefresh]:
    """One refresh per key: a planned refresh of a moved key carries the move with it."""
    moves = {r.key: r for r in declared if r.moved_from is not None}
    replanned = {r.key for r in planned}
    merged = [r for r in declared if r.key not in moves or r.key not in replanned]
    for refresh in planned:
        move = moves.get(refresh.key)
        if move is not None:
            reason = refresh.reason or move.reason
            refresh = refresh.model_copy(update={"moved_from": move.moved_from, "reason": reason})
        merged.append(refresh)
    return merged


def _check_guards(
    desired: DesiredState, remote: RemoteState, state: StateFile, options: PlanOptions
) -> None:
    managed = len(state.workflows)
    forgotten = {r.key for r in desired.removed}
    deletable = sum(1 for k, e in state.workflows.items() if e.destroy and k not in forgotten)
    if deletable and not desired.keys and not options.allow_empty_config:
        what = "is missing" if not desired.folder_exists else "has no workflow files"
        raise InputError(
            f"the workflows folder {what} but the lockfile manages {managed} workflows; refusing "
            "to plan deleting them all (check the folder, or pass --allow-empty-config)"
        )
    if managed and not remote.workflows and not options.allow_empty_remote:
        raise InputError(
            f"the API lists no workflows but the lockfile manages {managed}: wrong API key, "
            "workspace or base URL? (pass --allow-empty-remote to re-create them)"
        )


def _create_change(
    wanted: DesiredWorkflow, salt: str, reason: Reason, unmanaged: dict[str, list[str]]
) -> Change:
    """A create; beside an unmanaged workflow of the same name it is a possible duplicate (a
    lockfile lost, stale or wrong is the usual cause: the plan suggests `import` instead)."""
    return Change(
        key=wanted.key,
        action=Action.CREATE,
        reason=reason,
        after=wanted.spec,
        applied_hash=desired_fingerprint(wanted.spec, salt, IgnoreRules.of(wanted.ignore_changes)),
        prevent_destroy=wanted.lifecycle.prevent_destroy,
        duplicate_of=tuple(sorted(unmanaged.get(wanted.spec.name, ()))),
        destroy=wanted.lifecycle.destroy,
        ignore_changes=wanted.ignore_changes,
        file_hash=desired_file_hash(wanted, salt),
        variables=wanted.variables,
    )


def _plan_removed(
    state: StateFile,
    key: str,
    current: RemoteWorkflow | None,
    options: PlanOptions,
    changes: list[Change],
    refreshes: list[StateRefresh],
) -> None:
    entry = state.workflows[key]
    if current is None:
        refreshes.append(StateRefresh(key=key, entry=None))
        return
    if not entry.destroy:
        refreshes.append(forget_refresh(state, key))
        return
    if options.refresh_only:
        return
    if entry.prevent_destroy:
        raise InputError(
            f"{key}: its file was removed but the lockfile records lifecycle.prevent_destroy; "
            "restore the file with prevent_destroy: false and apply before removing it"
        )
    changes.append(
        Change(
            key=key,
            action=Action.DELETE,
            reason=Reason.REMOVED_FROM_CONFIG,
            remote_id=current.id,
            remote_updated_at=current.updated_at,
            before=current.spec,
        )
    )


@dataclass
class _Out:
    """What planning adds up, key by key."""

    changes: list[Change] = field(default_factory=list)
    refreshes: list[StateRefresh] = field(default_factory=list)
    behind: list[FilesBehind] = field(default_factory=list)


def _plan_existing(
    wanted: DesiredWorkflow,
    entry: StateEntry,
    read: _Read,
    salt: str,
    secrets: Redactor,
    options: PlanOptions,
    comparison: Comparison,
    out: _Out,
) -> None:
    """Plan one managed workflow whose file and workspace copy both exist.

    The verdict compares hashes taken under the rules the entry recorded (`ignore_changes`);
    when the file's rules differ, what it asks for is found by a field diff under its rules.
    """
    current = read[0]
    rules = IgnoreRules.of(wanted.ignore_changes)
    recorded = IgnoreRules.of(entry.ignore_changes)
    remote_hash = _remote_hash(read, entry, salt, recorded)
    wanted_file = desired_file_hash(wanted, salt)
    desired_now = _desired_hash(wanted, wanted_file, entry, salt, recorded)
    verdict = classify(entry, desired_now, remote_hash, current.updated_at)
    # The file's `file_hash`, for an entry that keeps recording it as applied under its rules.
    loads_as_applied = not verdict.desired_changed and rules == recorded
    file_hash = wanted_file if loads_as_applied else None
    if options.refresh_only:
        accepted = _accepted(
            wanted, entry, read, salt, secrets, recorded, remote_hash, file_hash=file_hash
        )
        if verdict.remote_changed and verdict is not Verdict.ACCEPTED:
            accepted = accepted.model_copy(update={"accepted_remote": True})
        if accepted != entry:
            reason = Reason.DRIFT if verdict.remote_changed else None
            out.refreshes.append(StateRefresh(key=wanted.key, entry=accepted, reason=reason))
        return
    if verdict is Verdict.UNCHANGED and rules == recorded:
        accepted = _accepted(
            wanted, entry, read, salt, secrets, rules, remote_hash, file_hash=file_hash
        )
        if accepted != entry:
            out.refreshes.append(StateRefresh(key=wanted.key, entry=accepted))
        return
    compared = replace(comparison, ignore=rules)
    after = update_body(wanted.spec, current.spec, rules)
    field_changes, server_added = differences(current.spec, after, compared)
    if server_added:
        after = update_body(wanted.spec, current.spec, rules, server_added)
    desired_hash = (
        desired_now if rules == recorded else desired_fingerprint(wanted.spec, salt, rules)
    )
    if not field_changes:
        # The remote already matches the files; only the recorded hashes move.
        converged = _accepted(
            wanted, entry, read, salt, secrets, rules, file_hash=wanted_file
        ).model_copy(update={"applied_hash": desired_hash, "accepted_remote": False})
        out.refreshes.append(StateRefresh(key=wanted.key, entry=converged))
        return
    if verdict is Verdict.ACCEPTED:
        out.behind.append(FilesBehind(key=wanted.key, paths=tuple(c.path for c in field_changes)))
        accepted = _accepted(
            wanted, entry, read, salt, secrets, recorded, remote_hash, file_hash=file_hash
        )
        if accepted != entry:
            out.refreshes.append(StateRefresh(key=wanted.key, entry=accepted))
        return
    out.changes.append(
        Change(
            key=wanted.key,
            action=Action.UPDATE,
            reason=_REASON.get(verdict, Reason.CHANGED_IN_GIT),  # unchanged: its rules changed
            remote_id=current.id,
            remote_updated_at=current.updated_at,
            before=current.spec,
            after=after,
            patch_fields=changed_fields(field_changes),
            field_changes=field_changes,
            applied_hash=desired_hash,
            prevent_destroy=wanted.lifecycle.prevent_destroy,
            server_added=server_added,
            destroy=wanted.lifecycle.destroy,
            ignore_changes=rules.paths,
            file_hash=wanted_file,
            variables=wanted.variables,
        )
    )


def _plan_settled(
    file: AppliedFile,
    state: StateFile,
    remote: RemoteState,
    secrets: Redactor,
    out: _Out,
) -> None:
    """Plan a workflow whose file and listed copy are both exactly as its entry records (both
    fingerprints equal, under the entry's rules): UNCHANGED, with or without --refresh-only, so
    at most the entry's bookkeeping moves (the file's lifecycle flags, what the listing says of
    its name and time)."""
    entry = state.workflows[file.key]
    read = remote.workflows[entry.id], remote.listed.get(entry.id)
    rules = IgnoreRules.of(file.ignore_changes)
    accepted = _accepted(
        file,
        entry,
        read,
        state.salt,
        secrets,
        rules,
        entry.remote_hash,
        file_hash=file.file_hash,
    )
    if accepted != entry:
        out.refreshes.append(StateRefresh(key=file.key, entry=accepted))


_Read = tuple[RemoteWorkflow, str | None]
"""A listed workflow and its `fingerprint.listed_digest` (None: not known)."""


def _remote_hash(read: _Read, entry: StateEntry, salt: str, recorded: IgnoreRules) -> str:
    """The fingerprint of the read's spec under the entry's rules (`recorded`): the entry's own
    `remote_hash` when the listing spells the spec as it did when that was taken (its
    `listed_hash`), without taking the spec's canonical form; a changed file against an
    unchanged workspace (a pull request's plan, an apply's verification) is the usual case."""
    current, listed = read
    if entry.listed_hash is not None and listed_hash(listed, salt) == entry.listed_hash:
        return entry.remote_hash
    return remote_fingerprint(current.spec, salt, recorded)


def _desired_hash(
    wanted: DesiredWorkflow,
    wanted_file: str | None,
    entry: StateEntry,
    salt: str,
    recorded: IgnoreRules,
) -> str:
    """The fingerprint of the file's spec under the entry's rules (`recorded`): the entry's own
    `applied_hash` when the file's bytes and placeholder values digest to its `file_hash`
    (`wanted_file`), which an entry records only while its file loads as that hash under those
    rules, without taking the spec's canonical form; a file just applied (an apply's
    verification) is the usual case."""
    if wanted_file is not None and wanted_file == entry.file_hash and not entry.accepted_remote:
        return entry.applied_hash
    return desired_fingerprint(wanted.spec, salt, recorded)


def _accepted(
    wanted: DesiredWorkflow | AppliedFile,
    entry: StateEntry,
    read: _Read,
    salt: str,
    secrets: Redactor,
    rules: IgnoreRules,
    remote_hash: str | None = None,
    *,
    file_hash: str | None,
) -> StateEntry:
    """The entry recording `current` as the workspace's, nothing written: the applied hash
    and the accepted flag stay, the file's lifecycle flags are taken (`remote_hash`: `current`'s
    fingerprint under `rules`, when the caller took it). `file_hash` is the file's when the caller
    knows it loads as the applied hash under `rules`; else the entry keeps vouching for the file
    it recorded while its flags and rules stand (the secret places only grow), and none once not.
    The `listed_hash` of `read` is taken when the entry moves anyway and its `remote_hash` is
    new or it has none; else the entry's stays (another spelling of the same spec, or only the
    spelling to record, changes no entry).
    """
    current, listed = read
    flags = wanted.lifecycle.prevent_destroy, wanted.lifecycle.destroy, rules.paths
    variables = wanted.variables
    if file_hash is None and flags == (entry.prevent_destroy, entry.destroy, entry.ignore_changes):
        file_hash, variables = entry.file_hash, entry.variables
    accepted = entry_for(
        current,
        entry.applied_hash,
        salt,
        wanted.lifecycle.prevent_destroy,
        secret_paths=(*entry.secret_paths, *wanted.secret_paths),  # nothing written: keep both
        secrets=secrets,
        ignore=rules,
        destroy=wanted.lifecycle.destroy,
        accepted_remote=entry.accepted_remote,
        remote_hash=remote_hash,
        file_hash=file_hash,
        variables=variables if file_hash is not None else (),
        listed_hash=entry.listed_hash,
    )
    if accepted.remote_hash != entry.remote_hash:  # a spelling of another spec: the read's
        return accepted.model_copy(update={"listed_hash": listed_hash(listed, salt)})
    if entry.listed_hash is not None or listed is None or accepted == entry:
        return accepted  # no refresh only to record a spelling
    return accepted.model_copy(update={"listed_hash": listed_hash(listed, salt)})


def update_body(
    desired: WorkflowSpec,
    remote: WorkflowSpec,
    rules: IgnoreRules,
    server_added: Iterable[SpecPath] = (),
) -> WorkflowSpec:
    """What an update sends: the file's spec with the workspace's values at ignored paths and
    at the keys only the server writes (`server_added`): a definition is sent whole, so without
    them the update would drop what the server (or the Onepin app) added."""
    added = tuple(server_added)
    if not rules.paths and not added:
        return desired
    merged = desired.model_dump()
    if rules.paths:
        merged = with_remote_values(merged, remote.model_dump(), rules.paths)
    if added:
        merged = copy_paths(merged, remote.model_dump(), added)
    return WorkflowSpec.model_validate(merged)
