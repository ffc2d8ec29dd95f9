"""Rebuilding a lost lockfile: which remote workflow each workflow file is.

A file matches a listed workflow that no lockfile entry claims when both have exactly the same
name and the same structure (node ids and types, edges: what a server never rewrites; see
`structure_fingerprint`). A match is recorded only when it is unique both ways: one candidate
for the file, and no other file claiming that workflow. Anything else is ambiguous and is never
guessed, since a wrong guess would have the next apply overwrite another team's workflow.

A matched file whose spec already agrees with the workspace (compared like the planner does,
under the file's ignore rules) is recorded as applied, so the next plan is empty; one that
differs is recorded as never applied, so the next plan shows the update that makes the workflow
match the file. Files matching
nothing stay out of the lockfile (the next plan creates them). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import (
    Comparison,
    IgnoreRules,
    desired_fingerprint,
    listed_hash,
    structure_fingerprint,
)
from onepin_sync.core.keys import NEVER_APPLIED
from onepin_sync.core.models import DesiredState, RemoteWorkflow, StateFile, StateRefresh
from onepin_sync.core.settled import desired_file_hash
from onepin_sync.core.transitions import entry_for, with_refreshes


@dataclass(frozen=True)
class Rebuild:
    """The rebuilt lockfile and how every file unknown to the old one fared."""

    state: StateFile
    matched: Mapping[str, str]  # key -> workflow id, recorded
    differing: tuple[str, ...]  # matched keys whose files differ from the workspace
    unmatched: tuple[str, ...]  # keys no listed workflow matches (the next plan creates them)
    ambiguous: Mapping[str, tuple[str, ...]]  # key -> every candidate id; nothing recorded


def rebuild_state(
    desired: DesiredState,
    listing: Iterable[RemoteWorkflow],
    state: StateFile,
    comparison: Comparison,
    spellings: Mapping[str, str] | None = None,
) -> Rebuild:
    """`state` with an entry for every file that uniquely matches an unclaimed workflow (see the
    module docstring); serial +1 when anything was recorded. `spellings` are the listing's
    `listed_digest`s by id, which the entries record."""
    spellings = spellings or {}
    claimed = {entry.id for entry in state.workflows.values()}
    free = [w for w in listing if w.id not in claimed]
    salt = state.salt
    by_shape: dict[tuple[str, str], list[RemoteWorkflow]] = {}
    for workflow in free:
        shape = (workflow.name, structure_fingerprint(workflow.definition, salt))
        by_shape.setdefault(shape, []).append(workflow)
    candidates: dict[str, list[RemoteWorkflow]] = {}
    for key, wanted in sorted(desired.workflows.items()):
        if key in state.workflows or key in state.pending:
            continue
        shape = (wanted.spec.name, structure_fingerprint(wanted.spec.definition, salt))
        candidates[key] = sorted(by_shape.get(shape, []), key=lambda w: w.id)
    claimants: dict[str, list[str]] = {}
    for key, found in candidates.items():
        for workflow in found:
            claimants.setdefault(workflow.id, []).append(key)
    ambiguous: dict[str, tuple[str, ...]] = {}
    refreshes: list[StateRefresh] = []
    differing: list[str] = []
    for key, found in candidates.items():
        if len(found) > 1 or (found and len(claimants[found[0].id]) > 1):
            ambiguous[key] = tuple(w.id for w in found)
            continue
        if not found:
            continue
        remote, wanted = found[0], desired.workflows[key]
        rules = IgnoreRules.of(wanted.ignore_changes)  # the file's (positions it omits too)
        compared = replace(comparison, ignore=rules)
        in_sync = not differences(remote.spec, wanted.spec, compared).changes
        if not in_sync:
            differing.append(key)
        applied = desired_fingerprint(wanted.spec, salt, rules) if in_sync else NEVER_APPLIED
        entry = entry_for(
            remote,
            applied,
            salt,
            wanted.lifecycle.prevent_destroy,
            secret_paths=wanted.secret_paths,
            ignore=rules,
            destroy=wanted.lifecycle.destroy,
            file_hash=desired_file_hash(wanted, salt) if in_sync else None,
            variables=wanted.variables if in_sync else (),
            listed_hash=listed_hash(spellings.get(remote.id), salt),
        )
        refreshes.append(StateRefresh(key=key, entry=entry))
    return Rebuild(
        state=with_refreshes(state, refreshes),
        matched={r.key: r.entry.id for r in refreshes if r.entry is not None},
        differing=tuple(differing),
        unmatched=tuple(k for k, found in candidates.items() if not found),
        ambiguous=ambiguous,
    )
