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

from deepdiff import DeepDiff

from onepin_sync.core.fingerprint import NO_IGNORES, Comparison, IgnoreRules, comparable
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
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if _is_list(a) and _is_list(b):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def spec_changes(
    before: WorkflowSpec, after: WorkflowSpec, ignore: IgnoreRules = NO_IGNORES
) -> tuple[FieldChange, ...]:
    """Every leaf difference from `before` (remote) to `after` (desired), in the order the
    fields read (keys of `before`, then those only in `after`), but for the ignored paths."""
    old = before.model_dump()
    new = after.model_dump()
    if json_equal(old, new):
        return ()
    keyed = _keyed_lists(old, new)
    found = DeepDiff(
        _by_id(old, keyed),
        _by_id(new, keyed),
        view="tree",
        exclude_regex_paths=[exclusion_regex(p) for p in ignore.paths] or None,
    )
    changes: dict[tuple[str, ...], FieldChange] = {}
    for report, levels in found.items():
        for level in levels:
            change = _field_change(report, level.path(output_format="list"), old, new, keyed)
            if change is not None:
                changes.setdefault(change.path, change)
    return tuple(sorted(changes.values(), key=lambda c: _reading_order(c.path, old, new)))


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


_Path = tuple[str, ...]


def _keyed_lists(old: Json, new: Json) -> frozenset[_Path]:
    """The id-keyed list fields (nodes, edges) whose items have unique ids on both sides."""
    keyed = set()
    for path in _ID_KEYED_LISTS:
        a, b = _at(old, path), _at(new, path)
        if (a is _ABSENT or _id_keyed(a)) and (b is _ABSENT or _id_keyed(b)):
            keyed.add(path)
    return frozenset(keyed)


def _by_id(value: Json, keyed: frozenset[_Path]) -> Json:
    """`value` with each of the `keyed` lists turned into a mapping by id."""
    for path in keyed:
        items = _at(value, path)
        if items is _ABSENT:
            continue
        value = _replaced(value, path, {item["id"]: item for item in items})
    return value


def _replaced(value: Json, path: _Path, new: Json) -> Json:
    if not path:
        return new
    return {**value, path[0]: _replaced(value[path[0]], path[1:], new)}


_ABSENT: Any = object()


def _at(value: Json, path: _Path) -> Json:
    """The value at a path of mapping keys, or `_ABSENT`."""
    for step in path:
        if not isinstance(value, Mapping) or step not in value:
            return _ABSENT
        value = value[step]
    return value


def _field_change(
    report: str, steps: list[Any], old: Json, new: Json, keyed: frozenset[_Path]
) -> FieldChange | None:
    """One deepdiff report as a change at a display path (`nodes[id]`); a change inside a
    list other than nodes or edges is the whole list's change."""
    path: list[str] = []
    for step in steps:
        if isinstance(step, int):
            break  # inside a list compared as a whole value
        if path and not path[-1].endswith("]") and _strip_indices(tuple(path)) in keyed:
            path[-1] = f"{path[-1]}[{step}]"
        else:
            path.append(str(step))
    before, after = _side(old, path), _side(new, path)
    if before is not _ABSENT and after is not _ABSENT and json_equal(before, after):
        return None  # `1` and `1.0`
    return FieldChange(
        path=tuple(path),
        before=None if before is _ABSENT else before,
        after=None if after is _ABSENT else after,
        before_present=before is not _ABSENT,
        after_present=after is not _ABSENT,
    )


def _side(spec: Json, path: list[str]) -> Json:
    """The value at a display path in one spec (nodes and edges found by id), or `_ABSENT`."""
    value = spec
    for step in path:
        name, _, selector = step.partition("[")
        value = _at(value, (name,))
        if selector and value is not _ABSENT:
            value = _child(value, selector[:-1], _ABSENT)
        if value is _ABSENT:
            return _ABSENT
    return value


def _reading_order(path: _Path, old: Json, new: Json) -> tuple[int, ...]:
    """Where a display path comes when the fields are read: each step by its place among the
    keys (or ids) of `old`, then those only in `new`."""
    order = []
    a: Json = old
    b: Json = new
    for step in path:
        name, _, selector = step.partition("[")
        for key in (name, selector[:-1]) if selector else (name,):
            keys = _merged_keys(_keys_of(a), _keys_of(b))
            order.append(keys.index(key) if key in keys else len(keys))
            a, b = _child(a, key, None), _child(b, key, None)
    return tuple(order)


def _keys_of(value: Json) -> dict[Any, None]:
    if isinstance(value, Mapping):
        return dict.fromkeys(value)
    if _is_list(value):
        return {item.get("id"): None for item in value if isinstance(item, Mapping)}
    return {}


def _child(value: Json, key: str, missing: Json) -> Json:
    """A mapping's value at `key`, or a list's item with id `key`; else `missing`."""
    if isinstance(value, Mapping):
        return value.get(key, missing)
    if _is_list(value):
        return next((i for i in value if isinstance(i, Mapping) and i.get("id") == key), missing)
    return missing


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
