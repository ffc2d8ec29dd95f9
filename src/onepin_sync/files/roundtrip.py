"""Round-trip editing of workflow files with ruamel.yaml, for the commands that write them.

`import` writes new files, `pull` edits files in place and `fmt` lays them out; all three keep
what a person wrote: comments (leading, inline, trailing), key order, flow style and quoting of
every part they do not change. Reading files for a plan never comes here: ruamel.yaml is slow,
and the strict loader (`yamlstrict`) is what decides what a file means. Every text made here is
checked by the caller by loading it back before it is written.

The canonical layout (`canonical`, what `fmt` makes and `import` writes):
- indentation: two spaces for mappings, sequences indented two more with the dash at two;
- key order: the keys the file format names in its order (`name`, `description`, `lifecycle`,
  `definition`; `graph`, `execution`; `id`, `type`, `name`, `position`, `config`, ...; edges
  `id`, `source`, `sourcePort`, `target`, `targetPort`), then extra keys as the file has them;
  keys of free-form mappings (`config`, `params`) as the file has them;
- flow style: every edge and every position on one line; the document, the definition, the
  graph, the execution plan and each node in block style; any other mapping or list in flow
  style when it holds only scalars, no multi-line text and no comment, and its line fits in
  100 columns, else in block style;
- scalars: a string plain when the files' parser reads it back, in block and flow context, as
  the same one-line string under the YAML 1.2 core schema, multi-line printable text as a
  literal block (`|`), any other string double-quoted; `true`, `false` and `null` spelled out;
  numbers as Python writes them.

Pure: no IO (text in, text out).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.compat import ordereddict
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from onepin_sync.core.models import Json
from onepin_sync.files.yamlcore import resolve_plain
from onepin_sync.files.yamlstrict import DefaultLoader

WIDTH = 100
_TOP = ("name", "description", "lifecycle", "definition")
ORDER: Mapping[tuple[str, ...], tuple[str, ...]] = {
    (): _TOP,
    ("definition",): ("graph", "execution"),
    ("definition", "graph"): ("nodes", "edges"),
    ("definition", "graph", "nodes", "*"): (
        "id",
        "type",
        "name",
        "position",
        "config",
        "config_version",
    ),
    ("definition", "graph", "nodes", "*", "position"): ("x", "y"),
    ("definition", "graph", "edges", "*"): ("id", "source", "sourcePort", "target", "targetPort"),
    ("definition", "execution"): ("steps", "params"),
}
_BLOCK = {
    (),
    ("definition",),
    ("definition", "graph"),
    ("definition", "graph", "nodes"),
    ("definition", "graph", "edges"),
    ("definition", "graph", "nodes", "*"),
    ("definition", "execution"),
}
_FLOW = {("definition", "graph", "edges", "*"), ("definition", "graph", "nodes", "*", "position")}


class RoundTripError(ValueError):
    """The text is not YAML that ruamel.yaml can edit (the strict loader says why, if invalid)."""


class _Emitter(RoundTripEmitter):
    """Double quotes where ruamel would pick single quotes for a string it cannot write plain
    (a string that was single-quoted in the file keeps its quotes)."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        event = self.event
        if style == "'" and getattr(event, "style", None) != "'":
            return '"'
        return style


class _Text:
    """A write-only text sink for ruamel's dump (no `io` in a pure module)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> None:
        self.parts.append(text.decode("utf-8") if isinstance(text, bytes) else text)


def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line someone wrote
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.representer.add_representer(type(None), _represent_null)
    return yaml


def _represent_null(representer: Any, _value: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


class Document:
    """A workflow file parsed for editing: its tree (ruamel's commented mapping) and the
    indentation it uses, so that a dump changes only what was edited."""

    def __init__(self, text: str) -> None:
        yaml = _yaml()
        try:
            tree, sequence, offset = load_yaml_guess_indent(text, yaml=yaml)
        except YAMLError as exc:
            raise RoundTripError(f"cannot edit this YAML ({exc.__class__.__name__})") from None
        if not isinstance(tree, CommentedMap):
            raise RoundTripError("the file does not hold a mapping")
        self.tree: CommentedMap = tree
        mapping = _mapping_indent(text)
        # ruamel.yaml's guess misreads a key with a comment after it (`nodes: # …`).
        sequence, offset = _sequence_indent(text) or (sequence, offset)
        offset = offset if offset is not None else 2
        yaml.indent(mapping=mapping, sequence=sequence or offset + 2, offset=offset)
        self._yaml = yaml

    def dump(self) -> str:
        out = _Text()
        self._yaml.dump(self.tree, out)
        return "".join(out.parts)


def _mapping_indent(text: str) -> int:
    """How far the file indents a mapping under its key (2 when it never does)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for line, following in itertools.pairwise(lines):
        if line.rstrip().endswith(":") and not following.lstrip().startswith("- "):
            step = (len(following) - len(following.lstrip())) - (len(line) - len(line.lstrip()))
            if step > 0:
                return step
    return 2


def _sequence_indent(text: str) -> tuple[int, int] | None:
    """How the file indents its first block sequence under a key: the items' content from the
    key (`sequence`) and the dash from the key (`offset`), as ruamel.yaml's `indent` takes them;
    None when it has none."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for line, following in itertools.pairwise(lines):
        item = following.lstrip()
        if _TRAILING_COMMENT.sub("", line).endswith(":") and item.startswith("- "):
            offset = (len(following) - len(item)) - (len(line) - len(line.lstrip()))
            gap = len(item) - len(item[1:].lstrip()) - 1  # spaces after the dash
            if offset >= 0:
                return offset + 1 + gap, offset
    return None


_TRAILING_COMMENT = re.compile(r"\s+#.*$|\s+$")


def canonical_text(text: str) -> str:
    """`text` in the canonical layout, comments kept (what `fmt` writes).

    The comment lines that end the file are set aside and put back last: ruamel.yaml attaches
    them to the last key, which the canonical key order may move."""
    lines = text.splitlines(keepends=True)
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    trailing = "".join(line.lstrip() for line in lines[end:] if line.strip())
    document = Document("".join(lines[:end]))
    canonical(document.tree)
    out = _Text()
    _yaml().dump(document.tree, out)
    body = "".join(out.parts)
    return body + (trailing if trailing.endswith("\n") or not trailing else trailing + "\n")


def new_text(data: Mapping[str, Json], header: str = "") -> str:
    """A new file holding `data` in the canonical layout, after `header` (comment lines)."""
    tree = to_tree(data)
    canonical(tree)
    out = _Text()
    _yaml().dump(tree, out)
    return header + "".join(out.parts)


def to_tree(value: Json) -> Any:
    """Plain JSON values as ruamel's commented containers (so they can be styled)."""
    if isinstance(value, Mapping):
        return CommentedMap((k, to_tree(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return CommentedSeq(to_tree(v) for v in value)
    return value


def canonical(node: Any, path: tuple[str, ...] = (), indent: int = 0) -> Any:
    """Bring `node` (a tree, or a part of one at `path`) into the canonical layout in place;
    returns the scalar to put back where `node` was a scalar."""
    if isinstance(node, CommentedMap):
        _reorder(node, ORDER.get(path))
        for key in list(node):
            replace(node, key, canonical(node[key], _child(path, str(key)), indent + 2))
        _set_style(node, path, indent)
        return node
    if isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            replace(node, index, canonical(item, (*path, "*"), indent + 4))
        _set_style(node, path, indent)
        return node
    return canonical_scalar(node)


def replace(node: CommentedMap | CommentedSeq, at: Any, value: Any) -> None:
    """`node[at] = value`, exactly `value`: ruamel would turn a plain string put where a quoted
    one was into a quoted one again, keeping a style the canonical layout (or the edit) drops."""
    if isinstance(node, CommentedMap):
        ordereddict.__setitem__(node, at, value)
    else:
        list.__setitem__(node, at, value)


def canonical_scalar(value: Any) -> Any:
    """A scalar as the canonical layout writes it (see the module docstring)."""
    if isinstance(value, bool) or value is None:
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        text = str(value)
        if "\n" in text:
            # A literal block holds printable text only: a tab, trailing spaces, `\r` (a block
            # reads `\r\n` back as `\n`) or another break or control character need quotes.
            literal_ok = all(
                line == line.rstrip(" ") and line.isprintable() for line in text.split("\n")
            )
            return LiteralScalarString(text) if literal_ok else DoubleQuotedScalarString(text)
        return text if _plain_reads_back(text) else DoubleQuotedScalarString(text)
    return value


def _plain_reads_back(text: str) -> bool:
    try:
        if text == "" or resolve_plain(text) != text:
            return False
    except ValueError:
        return False
    return _parsed_plain(text)


def _parsed_plain(text: str) -> bool:
    """Whether the files' parser (libyaml, YAML 1.1 syntax) reads `text` written plain, as a value
    in block context and (unless it holds a flow indicator, which makes ruamel.yaml quote it
    there) in flow context, as that plain scalar: ruamel.yaml writes YAML 1.2, which allows plain
    scalars libyaml refuses (`:x` or `?x` in a flow mapping)."""
    probe, expected = f"a: {text}\n", ["a", text]
    if not _FLOW_INDICATORS.intersection(text):
        probe, expected = probe + f"b: {{c: {text}}}\n", [*expected, "b", "c", text]
    try:
        events = yaml.parse(probe, Loader=DefaultLoader)
        plain = [e.value for e in events if isinstance(e, yaml.ScalarEvent) and e.implicit[0]]
    except yaml.YAMLError:
        return False
    return plain == expected


_FLOW_INDICATORS = frozenset(",[]{}")


def _child(path: tuple[str, ...], key: str) -> tuple[str, ...]:
    return (*path, key)


def _reorder(node: CommentedMap, order: Sequence[str] | None) -> None:
    """Known keys first in the format's order, the others after as they were (comments kept)."""
    if not order:
        return
    keys = list(node)
    wanted = [k for k in order if k in node] + [k for k in keys if k not in order]
    if wanted == keys:
        return
    for position, key in enumerate(wanted):
        value = node.pop(key)
        node.insert(position, key, value)


def _set_style(node: CommentedMap | CommentedSeq, path: tuple[str, ...], indent: int) -> None:
    if path in _FLOW:
        node.fa.set_flow_style()
    elif path in _BLOCK or not _short(node, path, indent):
        node.fa.set_block_style()
    else:
        node.fa.set_flow_style()


def _short(node: CommentedMap | CommentedSeq, path: tuple[str, ...], indent: int) -> bool:
    """Whether `node` may go on one line: only scalars, no multi-line text, no comment, and the
    line fits in `WIDTH` columns."""
    if node.ca.items or node.ca.comment:
        return False
    values = list(node.values()) if isinstance(node, CommentedMap) else list(node)
    if not values:
        return True
    if any(isinstance(v, CommentedMap | CommentedSeq) for v in values):
        return False
    if any(isinstance(v, str) and "\n" in v for v in values):
        return False
    label = f"{path[-1]}: " if path and path[-1] != "*" else "- "
    return indent + len(label) + len(_flow_text(node)) <= WIDTH


def _flow_text(node: Any) -> str:
    """How `node` reads on one line (for the width rule)."""
    if isinstance(node, CommentedMap):
        return "{" + ", ".join(f"{_flow_text(k)}: {_flow_text(v)}" for k, v in node.items()) + "}"
    if isinstance(node, CommentedSeq):
        return "[" + ", ".join(_flow_text(v) for v in node) + "]"
    if isinstance(node, bool) or node is None:
        return json.dumps(node)
    if isinstance(node, DoubleQuotedScalarString):
        return json.dumps(str(node), ensure_ascii=False)
    return str(node)
