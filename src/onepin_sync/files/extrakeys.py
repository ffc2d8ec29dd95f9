"""Where extra keys end and typos begin, inside a workflow file's definition.

The definition is the API's own object, so a key the file format does not name there (a newer
server's `layout_version`, a node's `ui`) is an extra key: kept, sent and fingerprinted (see
`fileformat`). To keep typo detection, an extra key that reads like a misspelling of a known key
of its mapping is refused instead: the same letters ignoring case, `_` and `-` (`source_port`,
`Type`), or nearly the same word (`param`, `confg`). The top level and `lifecycle` are closed
and checked by the format models themselves.

Pure: no IO.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from onepin_sync.core.ignore import FILE_KEYS

FieldPath = tuple[str | int, ...]

TYPO_SIMILARITY = 0.85
"""How alike an extra key and a known key must be (difflib's ratio) for the extra key to be taken
for a typo: `param`/`params` (0.91) and `confg`/`config` (0.91) are typos; `layout_version` and
`config_version` (0.71), or `ui` and `id` (0.5), are not."""


def misspelt_extra_keys(data: Mapping[str, Any]) -> list[tuple[FieldPath, str]]:
    """(path of the key, the known key it misspells) for each such extra key in `data`."""
    found = []
    for path, level, entry in _open_mappings(data):
        allowed = FILE_KEYS[level]
        for key in entry:
            if isinstance(key, str) and key not in allowed:
                match = typo_of(key, allowed)
                if match is not None:
                    found.append(((*path, key), match))
    return found


def typo_of(key: str, allowed: Iterable[str]) -> str | None:
    """The known key that `key` is probably a misspelling of, if any."""
    options = sorted(allowed)
    folded = _folded(key)
    for option in options:
        if _folded(option) == folded:
            return option
    close = difflib.get_close_matches(key, options, n=1, cutoff=TYPO_SIMILARITY)
    return close[0] if close else None


def _folded(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "")


def _open_mappings(
    data: Mapping[str, Any],
) -> Iterator[tuple[FieldPath, tuple[str, ...], Mapping[str, Any]]]:
    """(path in the file, level in `FILE_KEYS`, mapping) of each mapping inside the definition."""
    definition = data.get("definition")
    if not isinstance(definition, dict):
        return
    yield ("definition",), ("definition",), definition
    execution = definition.get("execution")
    if isinstance(execution, dict):
        yield ("definition", "execution"), ("definition", "execution"), execution
    graph = definition.get("graph")
    if not isinstance(graph, dict):
        return
    level: tuple[str, ...] = ("definition", "graph")
    yield level, level, graph
    for list_key in ("nodes", "edges"):
        entries = graph.get(list_key)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if not isinstance(entry, dict):
                continue
            path: FieldPath = (*level, list_key, index)
            yield path, (*level, list_key), entry
            position = entry.get("position") if list_key == "nodes" else None
            if isinstance(position, dict):
                yield (*path, "position"), (*level, list_key, "position"), position
