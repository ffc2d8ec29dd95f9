"""Places in a workflow spec, named by the display paths of `diff.py`: finding the places where
the files put a secret, masking whatever a spec (the workspace's, say) holds at those places, and
reading the strings there.

A path starts at a spec field: `("name",)`, `("description",)`,
`("definition", "graph", "nodes[gen]", "config", "api_token")`. Mapping keys are segments; nodes
and edges (the id-keyed lists of `diff.py`) are addressed by id, `nodes[<id>]`; any other list is
one place as a whole, never addressed by index, as `diff.py` compares it whole. So a change of a
secret shows as a `FieldChange` at its path, or at an ancestor of it (a node added or removed).

A path names places, never values: `find_paths` stops above a key or a node id that is itself a
secret, so the whole mapping or list around it is the place. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal

from onepin_sync.core.models import SPEC_FIELDS, Json

SpecPath = tuple[str, ...]
"""A place in a spec, as `diff.py` names it (see the module docstring)."""

ID_KEYED_LISTS = frozenset({("definition", "graph", "nodes"), ("definition", "graph", "edges")})
"""The lists whose items are places by id (`nodes[<id>]`): the same as `diff.py`'s."""

_Step = tuple[Literal["key", "id"], str]


def find_paths(spec: Mapping[str, Json], is_secret: Callable[[str], bool]) -> tuple[SpecPath, ...]:
    """The places of `spec` (`WorkflowSpec.model_dump()`) holding a string `is_secret` accepts,
    sorted. A key or a node id that is a secret makes its whole mapping or list the place."""
    found: set[SpecPath] = set()

    def walk(value: Json, path: SpecPath, plain: SpecPath) -> None:
        if isinstance(value, str):
            if is_secret(value):
                found.add(path)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if is_secret(str(key)):
                    found.add(path)
                else:
                    walk(item, (*path, str(key)), (*plain, str(key)))
        elif isinstance(value, list | tuple):
            ids = _ids(value) if plain in ID_KEYED_LISTS else None
            if ids is None:
                if any(is_secret(s) for s in _strings(value)):
                    found.add(path)
            elif any(is_secret(i) for i in ids):
                found.add(path)
            else:
                for item, item_id in zip(value, ids, strict=True):
                    walk(item, (*path[:-1], f"{path[-1]}[{item_id}]"), plain)

    for field in SPEC_FIELDS:
        walk(spec.get(field), (field,), (field,))
    return tuple(sorted(found))


def mask_paths(value: Json, at: SpecPath, paths: Iterable[SpecPath], mask: str) -> Json:
    """A copy of `value`, the value at path `at` of a spec, with whatever it holds at `paths`
    replaced by `mask`: wholly when `at` is at or under one of them.

    A place whose surroundings have another shape than the path says (a string where a mapping
    was, say) is masked whole from where the shapes part: it may hold the secret in another form.
    """
    here = _steps(at)
    masked = value
    for path in paths:
        steps = _steps(path)
        if here[: len(steps)] == steps:
            return mask
        if steps[: len(here)] == here:
            masked = _mask(masked, steps[len(here) :], mask)
    return masked


def strings_at(spec: Mapping[str, Json], paths: Iterable[SpecPath]) -> Iterator[str]:
    """Every string value `spec` holds at or under `paths`: what masks there hide."""
    for path in paths:
        yield from _strings_at(spec, _steps(path))


def copy_paths(
    target: Mapping[str, Json], source: Mapping[str, Json], paths: Iterable[SpecPath]
) -> dict[str, Json]:
    """A copy of `target` (a spec's JSON) holding `source`'s value at each of `paths` where
    `source` has one and `target` has the mapping it belongs in (the keys a server added, kept
    in what an update sends)."""
    copied: Json = dict(target)
    for path in paths:
        copied = _copy(copied, source, _steps(path))
    out: dict[str, Json] = copied
    return out


def _steps(path: SpecPath) -> tuple[_Step, ...]:
    """`nodes[gen]` (only where an id-keyed list is) as two steps: key `nodes`, then id `gen`."""
    steps: list[_Step] = []
    plain: SpecPath = ()
    for segment in path:
        base, bracket, rest = segment.partition("[")
        if bracket and rest.endswith("]") and (*plain, base) in ID_KEYED_LISTS:
            steps += [("key", base), ("id", rest[:-1])]
            plain = (*plain, base)
        else:
            steps.append(("key", segment))
            plain = (*plain, segment)
    return tuple(steps)


def _mask(value: Json, steps: tuple[_Step, ...], mask: str) -> Json:
    if not steps:
        return mask
    (kind, name), rest = steps[0], steps[1:]
    if kind == "key" and isinstance(value, Mapping):
        if name not in value:
            return value
        return {k: _mask(v, rest, mask) if k == name else v for k, v in value.items()}
    if kind == "id" and isinstance(value, list | tuple):
        return [_mask(item, rest, mask) if _id(item) == name else item for item in value]
    return mask if isinstance(value, str | Mapping | list | tuple) else value


def _copy(target: Json, source: Json, steps: tuple[_Step, ...]) -> Json:
    (kind, name), rest = steps[0], steps[1:]
    if kind == "key":
        if not isinstance(target, Mapping) or not isinstance(source, Mapping):
            return target
        if name not in source or (rest and name not in target):
            return target
        return {**target, name: _copy(target[name], source[name], rest) if rest else source[name]}
    if not rest or not isinstance(target, list | tuple) or not isinstance(source, list | tuple):
        return target
    match = [item for item in source if _id(item) == name]
    if len(match) != 1:
        return target
    return [_copy(item, match[0], rest) if _id(item) == name else item for item in target]


def _strings_at(value: Json, steps: tuple[_Step, ...]) -> Iterator[str]:
    if not steps:
        yield from _strings(value)
        return
    (kind, name), rest = steps[0], steps[1:]
    if kind == "key" and isinstance(value, Mapping):
        if name in value:
            yield from _strings_at(value[name], rest)
    elif kind == "id" and isinstance(value, list | tuple):
        for item in value:
            if _id(item) == name:
                yield from _strings_at(item, rest)
    else:
        yield from _strings(value)  # another shape: all of it is masked


def _strings(value: Json) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping | list | tuple):
        for item in value.values() if isinstance(value, Mapping) else value:
            yield from _strings(item)


def _ids(items: list[Json] | tuple[Json, ...]) -> list[str] | None:
    """The ids of a list whose items all have a distinct string id (else None: a whole place)."""
    ids = [_id(item) for item in items]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        return None
    return [i for i in ids if i is not None]


def _id(item: Json) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None
