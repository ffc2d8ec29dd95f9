"""Strict, safe YAML: the text of one file -> plain JSON values, or problems at line:column.

Builds Python values straight from libyaml's event stream (pure-Python PyYAML as a fallback) with
an explicit stack, so there is no recursion for a deep document to exhaust and nothing is ever
expanded: anchors and aliases are refused at the event that carries them. Scalars resolve by the
YAML 1.2 core schema (`yamlcore`), so the values are only dict, list, str, int, float, bool and
None: no datetime, bytes, set or Python objects.

Refused with a location: duplicate keys, non-string keys, merge keys (`<<`), anchors, aliases, any
explicit tag except `!`, `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq`, more
than one document, nesting deeper than `MAX_DEPTH`, control characters and syntax errors.

Pure: no IO, clock or environment (`reader.read_yaml_file` reads a file and calls this).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from onepin_sync.files.yamlcore import (
    MAP_TAG,
    SEQ_TAG,
    describe_value,
    resolve_plain,
    resolve_tagged,
    short_repr,
    tag_name,
)

LoaderClass = type[yaml.SafeLoader] | type[yaml.CSafeLoader]

DefaultLoader: LoaderClass = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser when PyYAML was built with it, else the pure-Python one."""

_LIBYAML_DEPTH = "maximum nesting depth"  # libyaml's message when its own nesting limit is hit

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted (the top-level mapping is level 1)."""


_INTERN_MAX = 64
"""Strings up to this length are interned: 10,000 workflow files then hold ~45% less memory."""

_SHARED_PLAIN: dict[str, Any] = {}
"""The value of each short plain scalar met so far (`type`, `id`, `true`, `280`, `voice`): keys and
values repeat in every file, and looking one up here is most of what reading it costs. Only
untagged, unanchored plain scalars that resolved without a problem and hold no `$` are kept."""
_SHARED_PLAIN_MAX = 100_000

# Everything YAML 1.2 allows in a stream except the byte order mark, which decoding strips, and
# U+0085, U+2028 and U+2029, which libyaml (YAML 1.1) reads as line breaks, changing the value.
_NOT_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_YAML_11_BREAKS = frozenset("\x85\u2028\u2029")


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A problem in the YAML layer; `line` and `column` are 1-based."""

    line: int
    column: int
    message: str


class ScalarValueError(Exception):
    """Raised by a string hook: `message`, and where in the string the fault starts."""

    def __init__(self, message: str, index: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


StringHook = Callable[[str], str]
"""Called with every string value (never a key) that contains `$`; returns its replacement."""


_ABSENT = object()


class _Stop(Exception):
    """The document cannot be read any further."""


def printable_path(text: str) -> str:
    """A path as text that always encodes: bytes that are not UTF-8 appear as `\\xff`."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def decode_yaml_bytes(data: bytes) -> tuple[str, YamlProblem | None]:
    """The text of a file: UTF-8 with an optional byte order mark, else where the bad byte is."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = error.start
        line_start = body.rfind(b"\n", 0, bad) + 1
        line = body.count(b"\n", 0, bad) + 1
        column = len(body[line_start:bad].decode("utf-8", errors="replace")) + 1
        message = f"not valid UTF-8: byte 0x{body[bad]:02x} (save the file as UTF-8)"
        return "", YamlProblem(line, column, message)


def first_unprintable(text: str) -> YamlProblem | None:
    """The first character YAML forbids (NUL, other control characters), or that libyaml would
    read as a line break where YAML 1.2 sees none (U+0085, U+2028, U+2029), if any."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    code = ord(found.group())
    if found.group() in _YAML_11_BREAKS:
        message = (
            f"character U+{code:04X} is a line break to YAML 1.1 readers, this one included; "
            f"write it escaped in double quotes (\\u{code:04X})"
        )
        return YamlProblem(line, column, message)
    return YamlProblem(line, column, f"character U+{code:04X} is not allowed in YAML")


def parse_document(
    text: str,
    *,
    on_string: StringHook | None = None,
    top_level: str = "a mapping",
    loader: LoaderClass = DefaultLoader,
) -> tuple[Any, list[YamlProblem]]:
    """Parse one single-document YAML text into plain values.

    Returns the value (None when problems made it unreadable) and the problems found. Problems
    that leave the value unambiguous (a bad tag, an alias, a duplicate key) are collected and
    reading goes on; a syntax error, excessive nesting or a second document stop it.
    """
    bad_char = first_unprintable(text)
    if bad_char is not None:
        return None, [bad_char]
    problems: list[YamlProblem] = []
    try:
        parser = loader(text)
    except yaml.YAMLError as error:
        return None, [_syntax_problem(error, text)]
    try:
        value = _build(parser.get_event, on_string, top_level, problems)
    except _Stop:
        value = None
    except yaml.YAMLError as error:
        if loader is not yaml.SafeLoader and _LIBYAML_DEPTH in str(error):
            # libyaml scans far ahead of the events it hands out and stops at its own limit
            # (1000 levels), where our limit is long past: read again in Python to say where.
            return parse_document(
                text, on_string=on_string, top_level=top_level, loader=yaml.SafeLoader
            )
        problems.append(_syntax_problem(error, text))
        value = None
    finally:
        parser.dispose()
    return (value if not problems else None), problems


def _build(
    next_event: Callable[[], Any],
    on_string: StringHook | None,
    top_level: str,
    problems: list[YamlProblem],
) -> Any:
    """The event loop: one explicit stack frame per open mapping or sequence.

    One long function on purpose: it runs once per YAML event of every file (the hot loop of a
    10,000-file plan), and keeping its state in locals and two closures instead of an object or
    helper calls per event is what makes loading fast.
    """

    def report(mark: Any, message: str, column_offset: int = 0) -> None:
        problems.append(YamlProblem(mark.line + 1, mark.column + 1 + column_offset, message))

    next_event()  # StreamStartEvent
    event = next_event()
    if type(event) is yaml.StreamEndEvent:
        problems.append(YamlProblem(1, 1, f"the file is empty: expected {top_level}"))
        raise _Stop

    expect_key = _ABSENT  # the pending key of a mapping frame that waits for a key
    discard = object()  # the pending key of a pair whose key was refused
    stack: list[tuple[Any, Any, dict[str, int]]] = []
    container: Any = None  # the open dict or list, None before the top level
    pending: Any = None  # dict: the key waiting for its value, or expect_key / discard
    key_lines: dict[str, int] = {}  # dict: line of each key seen, for duplicate messages
    root: Any = _ABSENT
    root_mark: Any = event.start_mark

    def attach(value: Any, mark: Any) -> None:
        nonlocal pending, root, root_mark
        if container is None:
            root, root_mark = value, mark
        elif pending is None:  # a sequence
            container.append(value)
        elif pending is expect_key:
            if type(value) is not str:
                if not isinstance(value, dict | list):  # containers were reported when opened
                    report(mark, f"keys must be strings, got {describe_value(value)} (quote it)")
                pending = discard
            elif value == "<<":
                report(mark, "merge keys (<<) are not supported")
                pending = discard
            elif value in key_lines:
                report(
                    mark, f"duplicate key {short_repr(value)} (first at line {key_lines[value]})"
                )
                pending = discard
            else:
                key_lines[value] = mark.line + 1
                pending = value
        elif pending is discard:
            pending = expect_key
        else:
            container[pending] = value
            pending = expect_key

    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    shared = _SHARED_PLAIN
    while True:
        event = next_event()
        kind = type(event)
        if kind is scalar_event:
            text: str = event.value
            value: Any = _ABSENT
            if event.tag is None and event.anchor is None:
                if event.implicit[0]:
                    value = shared.get(text, _ABSENT)  # most plain scalars were seen before
                elif len(text) <= _INTERN_MAX and "$" not in text:
                    value = sys.intern(text)  # a short quoted string
            if value is _ABSENT:
                value = _scalar_value(event, on_string, pending is expect_key, report)
            if type(pending) is str:  # the value of a mapping pair: the usual case
                container[pending] = value
                pending = expect_key
            elif pending is None and container is not None:  # an item of a sequence
                container.append(value)
            else:
                attach(value, event.start_mark)
        elif kind is mapping_start or kind is sequence_start:
            is_mapping = kind is mapping_start
            if len(stack) >= MAX_DEPTH:
                report(event.start_mark, f"nesting is deeper than {MAX_DEPTH} levels")
                raise _Stop
            if event.anchor is not None:
                report(event.start_mark, f"anchors (&{event.anchor}) are not supported")
            tag = event.tag
            if tag is not None and tag != "!" and tag != (MAP_TAG if is_mapping else SEQ_TAG):
                shape = "a mapping" if is_mapping else "a sequence"
                report(
                    event.start_mark, f"tag {short_repr(tag_name(tag))} is not allowed on {shape}"
                )
            if pending is expect_key:
                report(event.start_mark, "keys must be strings, got a collection")
            stack.append((container, pending, key_lines))
            container, pending, key_lines = ({}, expect_key, {}) if is_mapping else ([], None, {})
            if len(stack) == 1:
                root, root_mark = container, event.start_mark
        elif kind is mapping_end or kind is sequence_end:
            value = container
            container, pending, key_lines = stack.pop()
            if container is not None:
                attach(value, event.start_mark)
        elif kind is yaml.AliasEvent:
            report(event.start_mark, f"aliases (*{event.anchor}) are not supported")
            attach(None, event.start_mark)
        elif kind is yaml.DocumentEndEvent:
            break
    event = next_event()
    if type(event) is yaml.DocumentStartEvent:
        report(event.start_mark, "only one document per file: a second document starts here")
    if not isinstance(root, dict):
        report(
            root_mark,
            f"the top level must be {top_level}, "
            f"got {describe_value(None if root is _ABSENT else root)}",
        )
    return root


def _scalar_value(
    event: Any, on_string: StringHook | None, is_key: bool, report: Callable[..., None]
) -> Any:
    """The value of a scalar event that the fast path in `_build` did not settle (tags, anchors,
    placeholders, long strings, a plain scalar seen for the first time). Problems are reported,
    never raised. A plain scalar's value is remembered for the fast path when it is short."""
    text: str = event.value
    if event.anchor is not None:
        report(event.start_mark, f"anchors (&{event.anchor}) are not supported")
    tag = event.tag
    plain = tag is None and event.implicit[0]
    try:
        if plain:
            value = resolve_plain(text)
        elif tag is not None and tag != "!":
            value = resolve_tagged(tag, text)
        else:
            value = text
    except ValueError as error:
        report(event.start_mark, str(error))
        return text  # reported; the raw text keeps later checks quiet
    if type(value) is str and "$" in value:
        if on_string is None or is_key:
            return value
        try:
            return on_string(value)
        except ScalarValueError as error:
            report(event.start_mark, error.message, _offset_in_scalar(event, error.index))
            return value
    if type(value) is str and len(value) <= _INTERN_MAX:
        # Keys and short values repeat in every file: one shared copy of each. Strings that
        # went through interpolation are left alone (they may hold a secret).
        value = sys.intern(value)
    if plain and event.anchor is None and len(text) <= _INTERN_MAX:
        if len(_SHARED_PLAIN) >= _SHARED_PLAIN_MAX:
            _SHARED_PLAIN.clear()
        _SHARED_PLAIN[sys.intern(text)] = value
    return value


def _offset_in_scalar(event: Any, index: int) -> int:
    """Columns from the scalar's start to character `index` of its value, when that is exact."""
    start, end = event.start_mark, event.end_mark
    if event.tag is not None or start.line != end.line:
        return 0
    if event.style in (None, ""):
        return index
    if event.style in ("'", '"') and end.column - start.column - 2 == len(event.value):
        return index + 1  # quoted without escapes: the raw text is the value
    return 0


def _syntax_problem(error: yaml.YAMLError, text: str) -> YamlProblem:
    """A parser error as a problem; libyaml's own nesting limit reads like ours."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or getattr(error, "reason", None) or "syntax error"
    context = getattr(error, "context", None)
    if _LIBYAML_DEPTH in str(problem):
        message = f"nesting is deeper than {MAX_DEPTH} levels"
    else:
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return YamlProblem(1, 1, message)
    lines = text.split("\n")
    if mark.line >= len(lines):  # libyaml places end-of-stream errors past the last line
        return YamlProblem(len(lines), len(lines[-1]) + 1, message)
    return YamlProblem(mark.line + 1, mark.column + 1, message)
