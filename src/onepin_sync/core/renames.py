"""Renames and forgetting, as the planner sees them: the project file's `moved:` and `removed:`
entries applied to the lockfile before planning, and deletes that a create of the same content
would undo (a rename without a `moved:` entry).

    moved: {from, to}        | lockfile has from | lockfile has to | plan
    -------------------------+-------------------+-----------------+-----------------------------
                             | yes               | no              | move (to needs a file, from
                             |                   |                 | must have none)
                             | no                | yes             | nothing: moved already
                             | yes               | yes             | refused: to is in use
                             | no                | no              | refused: unknown from (a
                             |                   |                 | lockfile managing nothing yet
                             |                   |                 | has nothing to move: ignored)
    removed: {key}           | key managed, file gone: forget (the workflow stays in Onepin);
                             | not managed: nothing (forgotten already); file present: refused

A move is lockfile-only: the workflow keeps its Onepin id and run history, and the planner then
plans the new key like any other (an update if its content changed too). Errors name the entry's
file:line. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from onepin_sync.core.fingerprint import structure_fingerprint
from onepin_sync.core.models import Action, Change, DesiredState, StateFile, StateRefresh
from onepin_sync.core.transitions import forget_refresh, move_refresh, with_refreshes
from onepin_sync.errors import InputError


def declared_refreshes(desired: DesiredState, state: StateFile) -> list[StateRefresh]:
    """The moves and forgets the project file's entries ask of `state`, in order (see the
    module's table); InputError naming the entry for one that cannot hold."""
    refreshes: list[StateRefresh] = []
    for entry in desired.moved:
        old, new = entry.from_key, entry.to_key
        has_old, has_new = old in state.workflows, new in state.workflows
        if has_old and has_new:
            raise InputError(
                f"{entry.where}: moved: {new} is already managed (so is {old}); remove the entry, "
                f"or `onepin-sync state rm {new}` first"
            )
        if not has_old and not has_new:
            if not state.workflows and not state.pending:
                continue
            raise InputError(f"{entry.where}: moved: {old} is not managed (not in the lockfile)")
        if has_new:
            continue  # moved already
        if new not in desired.keys:
            raise InputError(f"{entry.where}: moved: {new} has no workflow file")
        if old in desired.keys:
            raise InputError(
                f"{entry.where}: moved: {old} still has a workflow file "
                f"({desired.path_of(old)}); remove it, or remove the entry"
            )
        try:
            refreshes.append(move_refresh(state, old, new))
        except InputError as exc:  # `new` has an unanswered create pending
            raise InputError(f"{entry.where}: moved: {exc}") from None
    for gone in desired.removed:
        if gone.key in desired.keys:
            raise InputError(
                f"{gone.where}: removed: {gone.key} still has a workflow file "
                f"({desired.path_of(gone.key)}); delete the file, or remove the entry"
            )
        if gone.key in state.workflows:
            refreshes.append(forget_refresh(state, gone.key))
    return refreshes


def after_declared(state: StateFile, refreshes: Sequence[StateRefresh]) -> StateFile:
    """`state` as the planner plans from it: the declared moves and forgets made."""
    return with_refreshes(state, refreshes).model_copy(update={"serial": state.serial})


def mark_replacements(changes: Sequence[Change], salt: str) -> list[Change]:
    """`changes` with each delete whose workflow a create makes again (same name and the same
    structure: node ids and types, edges) paired with that create through `replaces`. Only
    creates sharing a delete's name are fingerprinted: a first plan of 10,000 creates has none."""
    deleted = [(c, c.before) for c in changes if c.action is Action.DELETE and c.before is not None]
    names = {before.name for _, before in deleted}
    creates: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        after = change.after
        if change.action is Action.CREATE and after is not None and after.name in names:
            shape = (after.name, structure_fingerprint(after.definition, salt))
            creates.setdefault(shape, []).append(change)
    pairs: dict[str, str] = {}
    for change, before in deleted:
        shape = (before.name, structure_fingerprint(before.definition, salt))
        candidates = creates.get(shape)
        if candidates:
            create = candidates.pop(0)
            pairs[change.key] = create.key
            pairs[create.key] = change.key
    return [
        c.model_copy(update={"replaces": pairs[c.key]}) if c.key in pairs else c for c in changes
    ]


def moved_entry_text(deleted: str, created: str) -> str:
    """The `moved:` entry that turns a delete + create into a rename, as YAML to paste."""
    return f"moved:\n  - {{from: {deleted}, to: {created}}}"
