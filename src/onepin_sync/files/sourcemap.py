"""Where a value sits in a YAML text: line and column by path, for messages about a parsed file.

Composes the text (with libyaml when present) only when something is to be reported, so loading
a valid file records no positions at all. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import yaml

from onepin_sync.files.yamlstrict import DefaultLoader

ValuePath = Sequence[str | int]
"""Where a value sits in a document: mapping keys and sequence indexes from the top."""


class SourceMap:
    """Finds where a value sits in a text that parsed cleanly; composes the text on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._composed = False
        self._root: yaml.Node | None = None

    def locate(self, path: ValuePath, at: Literal["key", "value"] = "value") -> tuple[int, int]:
        """1-based line and column of the value (or its key) at `path`.

        Walks as far down the path as the document goes, so a missing field points at the
        mapping that lacks it.
        """
        node, complete = self._walk(path)
        if node is None:
            return 1, 1
        mark = node.start_mark
        if complete and isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style:
            at = "key"  # `name:` with nothing after it: the key is what the reader sees
        if complete and at == "key" and path and isinstance(path[-1], str):
            parent, _ = self._walk(path[:-1])
            if isinstance(parent, yaml.MappingNode):
                mark = next(k.start_mark for k, _ in parent.value if k.value == path[-1])
        return mark.line + 1, mark.column + 1

    def source_text(self, path: ValuePath) -> str | None:
        """The scalar at `path` as written in the file (`010` for the integer 10)."""
        node, complete = self._walk(path)
        return node.value if complete and isinstance(node, yaml.ScalarNode) else None

    def _walk(self, path: ValuePath) -> tuple[yaml.Node | None, bool]:
        """The deepest node along `path` that exists, and whether it is the one at `path`."""
        if not self._composed:
            self._root = yaml.compose(self._text, Loader=DefaultLoader)
            self._composed = True
        node = self._root
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                values = [v for k, v in node.value if k.value == step]
                if not values:
                    return node, False
                node = values[0]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    return node, False
                node = node.value[step]
            else:
                return node, False
        return node, True
