"""Editing a parsed workflow file (`roundtrip.Document`) so it says what the workspace holds, by
changing only what differs: how `pull` keeps a file's comments, order, styles and quoting.

`pull` hands over the field-level differences the planner shows (`core.diff.differences`, nodes
and edges addressed by id) and the workspace's workflow as a file would hold it
(`yamlwriter.file_document`). For each difference, the file's value at that path is made equal
to the workspace's, or removed where the workspace has none (a config key back at its default,
a node deleted in the app). A scalar keeps its quoting or block style when the new value allows
it; a list or mapping is edited in place, so its flow or block style and its comments stay; what
is new is written in the canonical layout.

Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from onepin_sync.core.diff import json_equal
from onepin_sync.core.models import FieldChange, Json
from onepin_sync.files.roundtrip import ORDER, canonical, canonical_scalar, replace, to_tree

_MISSING = object()


def apply_changes(
    tree: CommentedMap, changes: Iterable[FieldChange], remote: Mapping[str, Json]
) -> None:
    """Make `tree` equal `remote` at the path of each change (see the module docstring)."""
    for change in changes:
        _make_equal(tree, change.path, _lookup(remote, change.path))


def _make_equal(tree: CommentedMap, path: Sequence[str], value: Any) -> None:
    parent: Any = tree
    for depth, step in enumerate(path[:-1]):
        found = _child(parent, step)
        if found is _MISSING:
            if value is _MISSING:
                return  # nothing there to remove
            found = CommentedMap()
            _put(parent, step, found, _pattern(path[:depth]))
        parent = found
    last = path[-1]
    current = _child(parent, last)
    if value is _MISSING:
        if current is not _MISSING:
            _remove(parent, last)
    elif current is _MISSING:
        _put(parent, last, _new(value, _pattern(path)), _pattern(path[:-1]))
    else:
        _replace(parent, last, sync(current, value, _pattern(path)))


def sync(old: Any, new: Json, pattern: tuple[str, ...]) -> Any:
    """`old` (a node of the tree) edited in place to hold `new`; the node to put back."""
    if json_equal(_plain(old), new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, Mapping):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            child = (*pattern, str(key))
            if key in old:
                replace(old, key, sync(old[key], value, child))
            else:
                _insert_key(old, str(key), _new(value, child), pattern)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        item = (*pattern, "*")
        if len(old) == len(new):
            for index, value in enumerate(new):
                replace(old, index, sync(old[index], value, item))
        else:
            del old[:]
            old.extend(_new(value, item) for value in new)
        return old
    if isinstance(old, CommentedMap | CommentedSeq) or isinstance(new, Mapping | list):
        return _new(new, pattern)
    return _scalar_like(old, new)


def _scalar_like(old: Any, new: Json) -> Any:
    """`new` written the way `old` was, where that still reads back as `new`."""
    if isinstance(new, str):
        multi_line = "\n" in new
        if isinstance(old, LiteralScalarString | FoldedScalarString) and multi_line:
            return LiteralScalarString(new)
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(new)
        if isinstance(old, SingleQuotedScalarString) and not multi_line:
            return SingleQuotedScalarString(new)
    return canonical_scalar(new)


def _new(value: Json, pattern: tuple[str, ...]) -> Any:
    return canonical(to_tree(value), pattern, 2 * len(pattern))


def _plain(node: Any) -> Json:
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _item_id(step: str) -> tuple[str, str | None]:
    """`nodes[gen]` -> (`nodes`, `gen`); `config` -> (`config`, None)."""
    name, bracket, rest = step.partition("[")
    return name, (rest[:-1] if bracket else None)


def _child(parent: Any, step: str) -> Any:
    name, item_id = _item_id(step)
    if not isinstance(parent, Mapping) or name not in parent:
        return _MISSING
    value = parent[name]
    if item_id is None:
        return value
    index = _index_of(value, item_id)
    return _MISSING if index is None else value[index]


def _index_of(items: Any, item_id: str) -> int | None:
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, Mapping) and item.get("id") == item_id:
            return index
    return None


def _put(parent: Any, step: str, value: Any, pattern: tuple[str, ...]) -> None:
    name, item_id = _item_id(step)
    if item_id is None:
        _insert_key(parent, name, value, pattern)
        return
    items = parent.get(name)
    if not isinstance(items, CommentedSeq):
        items = _new([], (*pattern, name))
        _insert_key(parent, name, items, pattern)
    items.append(value)


def _replace(parent: Any, step: str, value: Any) -> None:
    name, item_id = _item_id(step)
    if item_id is None:
        replace(parent, name, value)
        return
    index = _index_of(parent[name], item_id)
    if index is not None:
        replace(parent[name], index, value)


def _remove(parent: Any, step: str) -> None:
    name, item_id = _item_id(step)
    if item_id is None:
        del parent[name]
        return
    index = _index_of(parent[name], item_id)
    if index is not None:
        del parent[name][index]


def _insert_key(node: CommentedMap, key: str, value: Any, pattern: tuple[str, ...]) -> None:
    """Add `key` after the known keys that come before it in the format's order, else last."""
    order = ORDER.get(pattern, ())
    if key in order:
        before = set(order[: order.index(key)])
        keys = list(node)
        position = max((i + 1 for i, k in enumerate(keys) if k in before), default=0)
        node.insert(position, key, value)
    else:
        node[key] = value


def _pattern(path: Sequence[str]) -> tuple[str, ...]:
    """A display path as a layout pattern: `nodes[gen]` -> `nodes`, `*`."""
    out: list[str] = []
    for step in path:
        name, item_id = _item_id(step)
        out.append(name)
        if item_id is not None:
            out.append("*")
    return tuple(out)


def _lookup(document: Mapping[str, Json], path: Sequence[str]) -> Any:
    node: Any = document
    for step in path:
        node = _child(node, step)
        if node is _MISSING:
            return _MISSING
    return node
