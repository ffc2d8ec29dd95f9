"""Field-level differences between two normalised workflow specs, for display and patch selection.

`deepdiff` is the engine: nodes and edges are matched by `id` (each list becomes a mapping by id
before comparing), never by list position, so inserting a node shows as one added node rather
than every later node "changed"; their order within the list is not a change. Other lists are
compared as whole values. Numbers compare by value (`100` equals `100.0`, the server returns
floats for positions), but booleans are never numbers. A workflow's ignore rules are deepdiff
exclusions (`ignore.py`). Only called for the few workflows whose hashes say something changed
(change detection is the fingerprints' job), so it can afford to be thorough.

Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from onepin_sync.core.fingerprint import (
    NO_IGNORES,
    Comparison,
    IgnoreRules,
    comparable,
)
from onepin_sync.core.ignore import FILE_KEYS, exclusion_regex
from onepin_sync.core.models import SPEC_FIELDS, FieldChange, Json, WorkflowSpec

_ID_KEYED_LISTS = {("definition", "graph", "nodes"), ("definition", "graph", "edges")}


def added_by_server(change: FieldChange) -> bool:
    """Whether `change` is a key the workspace has, outside the format's named keys, that the
    file does not set: a newer server's addition, shown once as such and never reverted."""
    if change.after_present or not change.before_present:
        return False
    *parent, key = _strip_indices(change.path)
    allowed = FILE_KEYS.get(tuple(parent))
    return allowed is not None and key not in allowed


def json_equal(a: Json, b: Json) -> bool:
    """Structural equality of JSON values; ints and floats by value, bools only equal bools."""
    ta, tb = type(a), type(b)
    if ta is tb:  # the plain types first: no abstract-class checks on the way
        if ta is dict:
            return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
        if ta is list:
            return len(a) == len(b) and all(map(json_equal, a, b))
        if ta in _SCALARS:
            return bool(a == b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in _NUMBERS and tb in _NUMBERS:
        return bool(a == b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if _is_list(a) and _is_list(b):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return ta is tb and a == b


_NUMBERS = (int, float)
_SCALARS = frozenset({str, int, float, bool, type(None)})


def spec_changes(
    before: WorkflowSpec, after: WorkflowSpec, ignore: IgnoreRules = NO_IGNORES
) -> tuple[FieldChange, ...]:
    """Every leaf difference from `before` (remote) to `after` (desired), in the order the
    fields read (keys of `before`, then those only in `after`), but for the ignored paths.

    Both sides are first laid out as flat mappings from display path to value, over the parts
    that differ only (equal subtrees are left out: most of a changed workflow is equal, and
    deepdiff's cost is per value it visits); deepdiff then says what was added, removed and
    changed, the ignore patterns as its exclusions.
    """
    from deepdiff import DeepDiff  # 25 ms to import: only runs that diff a workflow pay it

    old, new = _Flat(), _Flat()
    _lay_out(before.model_dump(), after.model_dump(), (), old, new)
    if not old.values and not new.values:
        return ()
    found = DeepDiff(
        old.values,
        new.values,
        view="tree",
        threshold_to_diff_deeper=0,  # always report the keys, never "the whole mapping changed"
        exclude_regex_paths=[f"^root\\['{exclusion_regex(p)}'\\]$" for p in ignore.paths] or None,
    )
    changes = []
    # One change per laid-out value: a list compared whole may differ at several positions,
    # and deepdiff reports each of them under the same key.
    keys = dict.fromkeys(
        level.path(output_format="list")[0] for levels in found.values() for level in levels
    )
    for key in keys:
        before_value, after_value = old.values.get(key, _ABSENT), new.values.get(key, _ABSENT)
        both = before_value is not _ABSENT and after_value is not _ABSENT
        if both and json_equal(before_value, after_value):
            continue  # `1` and `1.0`
        changes.append(
            FieldChange(
                path=old.paths.get(key) or new.paths[key],
                before=None if before_value is _ABSENT else before_value,
                after=None if after_value is _ABSENT else after_value,
                before_present=before_value is not _ABSENT,
                after_present=after_value is not _ABSENT,
            )
        )
    order = {key: index for index, key in enumerate([*old.values, *new.values])}
    return tuple(sorted(changes, key=lambda c: order[".".join(c.path)]))


class Differences(NamedTuple):
    """How the workspace's spec differs from the file's, once both are comparable."""

    changes: tuple[FieldChange, ...]  # what an update would change
    server_added: tuple[tuple[str, ...], ...]  # keys only the server writes: kept, not changes


def differences(
    remote: WorkflowSpec, desired: WorkflowSpec, comparison: Comparison | None = None
) -> Differences:
    """The one comparison of a remote spec with a desired one (planner and journal recovery):
    both brought to comparable form with `comparison`, keys a newer server added set apart,
    the comparison's ignored paths left out."""
    ignore = comparison.ignore if comparison is not None else NO_IGNORES
    found = spec_changes(comparable(remote, comparison), comparable(desired, comparison), ignore)
    return Differences(
        tuple(c for c in found if not added_by_server(c)),
        tuple(c.path for c in found if added_by_server(c)),
    )


def changed_fields(changes: Sequence[FieldChange]) -> tuple[str, ...]:
    """The top-level spec fields touched by `changes`, in display order."""
    touched = {c.path[0] for c in changes}
    return tuple(f for f in SPEC_FIELDS if f in touched)


_ABSENT: Any = object()


class _Flat:
    """One side of a comparison laid out flat: display path (dotted) -> value."""

    def __init__(self) -> None:
        self.values: dict[str, Json] = {}
        self.paths: dict[str, tuple[str, ...]] = {}

    def add(self, path: tuple[str, ...], value: Json) -> None:
        key = ".".join(path)
        self.values[key] = value
        self.paths[key] = path


def _same(a: Json, b: Json) -> bool:
    """`json_equal`, fast for the usual case: Python's `==` in C first, which settles every
    mismatch; a match is confirmed by `json_equal` only because `==` says `True == 1`."""
    return a == b and json_equal(a, b)


def _lay_out(a: Json, b: Json, path: tuple[str, ...], old: _Flat, new: _Flat) -> None:
    """Add to `old` and `new` the values at and below `path` where `a` and `b` differ: keys on
    one side only, and values that are not both mappings, whole; nodes and edges by id."""
    if _same(a, b):
        return
    keyed = _strip_indices(path) in _ID_KEYED_LISTS and _id_keyed(a) and _id_keyed(b)
    if keyed:
        a = {item["id"]: item for item in a}
        b = {item["id"]: item for item in b}
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        old.add(path, a)
        new.add(path, b)
        return
    for key in _merged_keys(a, b):
        sub = (*path[:-1], f"{path[-1]}[{key}]") if keyed else (*path, str(key))
        if key not in b:
            old.add(sub, a[key])
        elif key not in a:
            new.add(sub, b[key])
        else:
            _lay_out(a[key], b[key], sub, old, new)


def _merged_keys(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> list[Any]:
    """Keys of `a` in order, then keys only in `b`: stable and close to how the file reads."""
    return [*a.keys(), *(k for k in b if k not in a)]


def _id_keyed(items: Json) -> bool:
    if not _is_list(items):
        return False
    ids = [item.get("id") if isinstance(item, Mapping) else None for item in items]
    return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _strip_indices(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.split("[", 1)[0] for p in path)


def _is_list(value: Json) -> bool:
    return isinstance(value, list | tuple)
