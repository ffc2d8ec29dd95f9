"""Field-level differences between two normalised workflow specs, for display and patch selection.

Nodes and edges are matched by `id`, never by list position, so inserting a node shows as one
added node rather than every later node "changed"; their order within the list is not a change.
Other lists are compared as whole values. Numbers compare by value (`100` equals `100.0`, the
server returns floats for positions), but booleans are never numbers. Only called for the few
workflows whose hashes say something changed, so it can afford to be thorough.

Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from onepin_sync.core.fingerprint import Comparison, comparable
from onepin_sync.core.models import SPEC_FIELDS, FieldChange, Json, WorkflowSpec

_ID_KEYED_LISTS = {("definition", "graph", "nodes"), ("definition", "graph", "edges")}

FILE_KEYS: Mapping[tuple[str, ...], frozenset[str]] = {
    ("definition",): frozenset({"graph", "execution"}),
    ("definition", "graph"): frozenset({"nodes", "edges"}),
    ("definition", "graph", "nodes"): frozenset(
        {"id", "type", "name", "position", "config", "config_version"}
    ),
    ("definition", "graph", "nodes", "position"): frozenset({"x", "y"}),
    ("definition", "graph", "edges"): frozenset(
        {"id", "source", "sourcePort", "target", "targetPort"}
    ),
    ("definition", "execution"): frozenset({"steps", "params"}),
}
"""The keys the file format names at each level of a definition (`files/fileformat.py`'s models;
a test keeps the two equal). A file may hold other keys there too (extra keys, part of its spec);
one the workspace holds that the file does not set is a server's addition, kept as it is."""


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


def spec_changes(before: WorkflowSpec, after: WorkflowSpec) -> tuple[FieldChange, ...]:
    """Every leaf difference from `before` (remote) to `after` (desired), in a stable order."""
    changes: list[FieldChange] = []
    old = before.model_dump()
    new = after.model_dump()
    for field in SPEC_FIELDS:
        _diff(old[field], new[field], (field,), changes)
    return tuple(changes)


class Differences(NamedTuple):
    """How the workspace's spec differs from the file's, once both are comparable."""

    changes: tuple[FieldChange, ...]  # what an update would change
    server_added: tuple[tuple[str, ...], ...]  # keys only the server writes: kept, not changes


def differences(
    remote: WorkflowSpec, desired: WorkflowSpec, comparison: Comparison | None = None
) -> Differences:
    """The one comparison of a remote spec with a desired one (planner and journal recovery):
    both brought to comparable form with `comparison`, keys a newer server added set apart."""
    found = spec_changes(comparable(remote, comparison), comparable(desired, comparison))
    return Differences(
        tuple(c for c in found if not added_by_server(c)),
        tuple(c.path for c in found if added_by_server(c)),
    )


def changed_fields(changes: Sequence[FieldChange]) -> tuple[str, ...]:
    """The top-level spec fields touched by `changes`, in display order."""
    touched = {c.path[0] for c in changes}
    return tuple(f for f in SPEC_FIELDS if f in touched)


def _diff(a: Json, b: Json, path: tuple[str, ...], out: list[FieldChange]) -> None:
    if json_equal(a, b):
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in _merged_keys(a, b):
            sub = (*path, str(key))
            if key not in a:
                out.append(FieldChange(path=sub, after=b[key], before_present=False))
            elif key not in b:
                out.append(FieldChange(path=sub, before=a[key], after_present=False))
            else:
                _diff(a[key], b[key], sub, out)
        return
    if _strip_indices(path) in _ID_KEYED_LISTS and _id_keyed(a) and _id_keyed(b):
        _diff_by_id(a, b, path, out)
        return
    out.append(FieldChange(path=path, before=a, after=b))


def _diff_by_id(
    a: Sequence[Any], b: Sequence[Any], path: tuple[str, ...], out: list[FieldChange]
) -> None:
    old = {item["id"]: item for item in a}
    new = {item["id"]: item for item in b}
    for item_id in _merged_keys(old, new):
        sub = (*path[:-1], f"{path[-1]}[{item_id}]")
        if item_id not in old:
            out.append(FieldChange(path=sub, after=new[item_id], before_present=False))
        elif item_id not in new:
            out.append(FieldChange(path=sub, before=old[item_id], after_present=False))
        else:
            _diff(old[item_id], new[item_id], sub, out)


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
