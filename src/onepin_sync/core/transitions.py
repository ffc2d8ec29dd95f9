"""State transitions of lockfile entries: the entry a write or a read-back earns, and a new
`StateFile` with a batch of entries recorded, moved or forgotten.

Every path that records a workflow in the lockfile (apply, journal recovery, `import`, `pull`,
the planner's refreshes) builds its entry with `entry_for` and applies it with `with_refreshes`;
every unanswered create is recorded as `pending_create` says. Renaming a key (`moved:` entries,
`state mv`) is `move_refresh`/`moved`, and dropping one while its workflow stays in Onepin
(`removed:` entries, `lifecycle.destroy: false`, `state rm`) is `forget_refresh`/`forgotten`:
lockfile-only, nothing is written to Onepin.
Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from onepin_sync.core.diff import json_equal
from onepin_sync.core.fingerprint import (
    NO_IGNORES,
    IgnoreRules,
    name_fingerprint,
    remote_fingerprint,
    structure_fingerprint,
)
from onepin_sync.core.models import (
    SPEC_FIELDS,
    Action,
    Change,
    PendingCreate,
    Reason,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
    WorkflowSpec,
)
from onepin_sync.core.redact import MASK, NO_SECRETS, Redactor
from onepin_sync.core.spec_paths import SpecPath
from onepin_sync.errors import InputError


def entry_for(
    remote: RemoteWorkflow,
    applied_hash: str,
    salt: str,
    prevent_destroy: bool,
    *,
    secret_paths: Iterable[SpecPath] = (),
    secrets: Redactor = NO_SECRETS,
    ignore: IgnoreRules = NO_IGNORES,
    remote_hash: str | None = None,
    destroy: bool = True,
    accepted_remote: bool = False,
    file_hash: str | None = None,
    variables: tuple[str, ...] = (),
    listed_hash: str | None = None,
) -> StateEntry:
    """The lockfile entry for `remote` as read back right after applying `applied_hash`.

    The name is only a reminder for people reading the lockfile: a `${secret.X}` value in it is
    masked with `secrets` (the lockfile is committed), the same way on every path that records it,
    and a name that is a secret place but holds no secret `secrets` knows (an old one) is masked
    whole. `secret_paths` are where `remote` holds a secret: the desired workflow's after a write,
    the previous entry's (with any the files added) when nothing was written. `remote_hash` saves
    fingerprinting `remote` again when the caller already did (under the same `ignore` rules,
    which the entry records: hashes taken under other rules cannot be compared). `destroy` and
    `accepted_remote` are the lifecycle flags of `StateEntry`; `file_hash` and `variables`, the
    file that loads as `applied_hash` with these flags, rules and secret places, when the caller
    knows it (see `StateEntry`); `listed_hash`, how the listing `remote` was read from spelled
    it, when `remote` is a listed workflow.
    """
    paths = tuple(sorted(set(secret_paths)))
    name = secrets.text(remote.name)
    if name == remote.name and ("name",) in paths:
        name = MASK
    return StateEntry(
        id=remote.id,
        name=name,
        applied_hash=applied_hash,
        remote_hash=remote_hash or remote_fingerprint(remote.spec, salt, ignore),
        remote_updated_at=remote.updated_at,
        prevent_destroy=prevent_destroy,
        secret_paths=paths,
        destroy=destroy,
        ignore_changes=ignore.paths,
        accepted_remote=accepted_remote,
        file_hash=file_hash,
        variables=variables,
        listed_hash=listed_hash,
    )


def with_refreshes(state: StateFile, refreshes: Iterable[StateRefresh]) -> StateFile:
    """`state` with the given entries recorded, moved or forgotten, in order; serial +1 when
    anything moved."""
    workflows = dict(state.workflows)
    for refresh in refreshes:
        if refresh.moved_from is not None:
            workflows.pop(refresh.moved_from, None)
        if refresh.entry is None:
            workflows.pop(refresh.key, None)
        else:
            workflows[refresh.key] = refresh.entry
    if workflows == dict(state.workflows):
        return state
    ordered = dict(sorted(workflows.items()))
    return state.model_copy(update={"workflows": ordered, "serial": state.serial + 1})


def pending_create(
    spec: WorkflowSpec,
    applied_hash: str,
    salt: str,
    prevent_destroy: bool,
    *,
    sent_at: datetime,
    secret_paths: Iterable[SpecPath] = (),
    secrets: Redactor = NO_SECRETS,
    destroy: bool = True,
    ignore_changes: tuple[str, ...] = (),
) -> PendingCreate:
    """What the lockfile records for a create of `spec` sent at `sent_at` (server time) whose
    answer may never come: enough to recognise the workflow it made, and nothing secret; and for
    the entry adopting it records, where it put secrets (`secret_paths`) and the file's lifecycle
    flags (`prevent_destroy`, `destroy`) and ignore rules, as an answered create records them."""
    return PendingCreate(
        name=secrets.text(spec.name),
        name_hash=name_fingerprint(spec.name, salt),
        structure=structure_fingerprint(spec.definition, salt),
        applied_hash=applied_hash,
        sent_at=sent_at,
        prevent_destroy=prevent_destroy,
        secret_paths=tuple(sorted(set(secret_paths))),
        destroy=destroy,
        ignore_changes=ignore_changes,
    )


def move_refresh(state: StateFile, old: str, new: str) -> StateRefresh:
    """The refresh recording `old`'s lockfile entry under `new`: the same Onepin workflow (its
    id, hashes and run history kept) under another key. InputError when `old` is not managed or
    `new` already is (or has a create pending)."""
    entry = state.workflows.get(old)
    if entry is None:
        raise InputError(f"cannot move {old}: it is not managed (not in the lockfile)")
    if new == old:
        raise InputError(f"cannot move {old} onto itself")
    if new in state.workflows or new in state.pending:
        raise InputError(f"cannot move {old} to {new}: {new} is already managed")
    return StateRefresh(key=new, entry=entry, reason=Reason.MOVED, moved_from=old)


def moved(state: StateFile, old: str, new: str) -> StateFile:
    """`state` with `old`'s entry recorded under `new` (serial +1); see `move_refresh`."""
    return with_refreshes(state, [move_refresh(state, old, new)])


def forget_refresh(state: StateFile, key: str) -> StateRefresh:
    """The refresh dropping `key` from the lockfile while its workflow stays in Onepin (then
    unmanaged: counted, never touched, adoptable again with `import`). InputError when `key` is
    not managed."""
    if key not in state.workflows:
        raise InputError(f"cannot forget {key}: it is not managed (not in the lockfile)")
    return StateRefresh(key=key, entry=None, reason=Reason.FORGOTTEN)


def forgotten(state: StateFile, key: str) -> StateFile:
    """`state` without `key` (serial +1); see `forget_refresh`."""
    return with_refreshes(state, [forget_refresh(state, key)])


def changed_meanwhile(change: Change, listed: WorkflowSpec) -> tuple[str, ...]:
    """The top-level fields an update did not send that `listed` (a listing read after it, the
    same kind of read as the plan's `before`) holds otherwise than the plan read them: someone
    changed them in the workspace while the apply ran."""
    before = change.before
    if change.action is not Action.UPDATE or before is None:
        return ()
    return tuple(
        field
        for field in SPEC_FIELDS
        if field not in change.patch_fields
        and not json_equal(getattr(before, field), getattr(listed, field))
    )


def as_written_alone(listed: WorkflowSpec, change: Change, fields: Iterable[str]) -> WorkflowSpec:
    """`listed` with `fields` as the plan read them (`changed_meanwhile`): what the workspace
    would hold had nobody else written, so the next plan shows their change as made outside."""
    assert change.before is not None
    return listed.model_copy(update={field: getattr(change.before, field) for field in fields})
