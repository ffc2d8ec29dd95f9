"""The strict YAML layer: YAML 1.2 core-schema values, and every refusal at its line:column."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from onepin_sync.files.sourcemap import SourceMap
from onepin_sync.files.yamlstrict import (
    MAX_DEPTH,
    LoaderClass,
    decode_yaml_bytes,
    parse_document,
)

LOADERS = [
    pytest.param(yaml.CSafeLoader, id="libyaml"),
    pytest.param(yaml.SafeLoader, id="pure-python"),
]


def value_of(scalar: str, loader: LoaderClass) -> Any:
    parsed, found = parse_document(f"v: {scalar}\n", loader=loader)
    assert found == [], found
    return parsed["v"]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        # YAML 1.1 booleans are plain strings under the 1.2 core schema
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("n", "n"),
        ("Yes", "Yes"),
        ("NO", "NO"),
        # the only booleans and nulls
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        # sexagesimal, underscores, binary and timestamps are strings
        ("1:30", "1:30"),
        ("190:20:30", "190:20:30"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("2001-12-14", "2001-12-14"),
        ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00"),
        # core-schema integers: decimal (leading zeros too), 0o octal, 0x hex
        ("10", 10),
        ("010", 10),
        ("+5", 5),
        ("-7", -7),
        ("-0", 0),
        ("0o17", 15),
        ("0x1F", 31),
        ("0o8", "0o8"),
        ("-0x1F", "-0x1F"),
        # floats
        ("1.5", 1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("-1.5E-3", -0.0015),
        # quoting and explicit standard tags
        ("'010'", "010"),
        ('"yes"', "yes"),
        ("!!str 10", "10"),
        ("! 5", "5"),
        ("!!int 0x1F", 31),
        ("!!int '12'", 12),
        ("!!float 1", 1.0),
        ("!!bool FALSE", False),
        ("!!null ''", None),
        ("!!map {a: 1}", {"a": 1}),
        ("!!seq [1, x]", [1, "x"]),
        ("|\n  two\n  lines", "two\nlines\n"),
        ("[a, {b: [1, ~]}]", ["a", {"b": [1, None]}]),
    ],
)
def test_values_follow_the_yaml_1_2_core_schema(
    scalar: str, expected: Any, loader: LoaderClass
) -> None:
    value = value_of(scalar, loader)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 4, 3, "duplicate key 'c' (first at line 3)"),
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first at line 1)"),
        ("a: &anchor 1\n", 1, 4, "anchors (&anchor) are not supported"),
        (
            "a: !!python/object:os.system x\n",
            1,
            4,
            "tag '!!python/object:os.system' is not allowed",
        ),
        ("a: !!python/name:os.system\n", 1, 4, "tag '!!python/name:os.system' is not allowed"),
        ("a: !custom x\n", 1, 4, "tag '!custom' is not allowed"),
        ("a: !!binary aGk=\n", 1, 4, "tag '!!binary' is not allowed"),
        ("a: !!timestamp 2001-12-14\n", 1, 4, "tag '!!timestamp' is not allowed"),
        ("a:\n  - !!set {x}\n", 2, 5, "tag '!!set' is not allowed on a mapping"),
        ("a: !!omap [x: 1]\n", 1, 4, "tag '!!omap' is not allowed on a sequence"),
        ("a: !!map [1]\n", 1, 4, "tag '!!map' is not allowed on a sequence"),
        ("%TAG !! tag:evil.example,2024:\n---\na: !!str x\n", 3, 4, "tag 'tag:evil"),
        ("a: !!int twelve\n", 1, 4, "'twelve' is not a valid !!int"),
        ("a: !!bool yes\n", 1, 4, "'yes' is not a valid !!bool"),
        ("a: !!null x\n", 1, 4, "'x' is not a valid !!null"),
        ("1: a\n", 1, 1, "keys must be strings, got integer 1 (quote it)"),
        ("x: 1\ntrue: a\n", 2, 1, "keys must be strings, got boolean true"),
        ("~: a\n", 1, 1, "keys must be strings, got null"),
        ("? [a, b]\n: c\n", 1, 3, "keys must be strings, got a collection"),
        ("{x: 1, {y: 2}: z}\n", 1, 8, "keys must be strings, got a collection"),
        ("a: {x: 1}\n<<: {y: 2}\n", 2, 1, "merge keys (<<) are not supported"),
        ("a: 1\n---\nb: 2\n", 2, 1, "only one document per file"),
        (
            "- a\n- b\n",
            1,
            1,
            "the top level must be a mapping, got a list",
        ),
        ("just text\n", 1, 1, "got string 'just text'"),
        ("---\n~\n", 2, 1, "got null"),
        ("", 1, 1, "the file is empty"),
        ("# a comment only\n", 1, 1, "the file is empty"),
        ("a: .inf\n", 1, 4, "'.inf' is not allowed: JSON cannot carry infinity or NaN"),
        ("a: -.Inf\n", 1, 4, "JSON cannot carry infinity or NaN"),
        ("a: .NaN\n", 1, 4, "JSON cannot carry infinity or NaN"),
        ("a: !!float .nan\n", 1, 4, "JSON cannot carry infinity or NaN"),
        ("a: 1e400\n", 1, 4, "number '1e400' is too large for JSON"),
        ("a: " + "9" * 5000 + "\n", 1, 4, "integer with 5000 digits is too large"),
        ("a: x\x07y\n", 1, 5, "character U+0007 is not allowed in YAML"),
        ("a: 1\nb: \x00\n", 2, 4, "character U+0000 is not allowed in YAML"),
        ("a: 1\nb: \ufffe\n", 2, 4, "character U+FFFE is not allowed in YAML"),
        ('a: "x\x85y"\n', 1, 6, "character U+0085 is a line break to YAML 1.1 readers"),
        ("a: x\u2028y\n", 1, 5, "write it escaped in double quotes (\\u2028)"),
        ("a: 1\n  b: 2\n", 2, 4, "invalid YAML: mapping values are not allowed"),
        ("a: 'unterminated\n", 2, 1, "invalid YAML"),
        ("a: [1, 2\n", 2, 1, "invalid YAML"),
    ],
)
def test_refusals_name_line_and_column(
    text: str, line: int, column: int, fragment: str, loader: LoaderClass
) -> None:
    value, found = parse_document(text, loader=loader)
    assert value is None
    assert found, "expected a problem"
    first = found[0]
    assert (first.line, first.column) == (line, column), first
    assert fragment in first.message


@pytest.mark.parametrize("loader", LOADERS)
def test_aliases_are_refused_before_any_expansion(loader: LoaderClass) -> None:
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        laughs.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]")
    started = time.thread_time()  # CPU spent here, whatever the machine's load
    value, found = parse_document("\n".join(laughs) + "\n", loader=loader)
    assert time.thread_time() - started < 1
    assert value is None
    assert (found[0].line, found[0].column) == (1, 4)
    assert found[0].message == "anchors (&a) are not supported"
    assert (found[1].line, found[1].column, found[1].message) == (
        2,
        4,
        "anchors (&b) are not supported",
    )
    assert (found[2].line, found[2].column, found[2].message) == (
        2,
        8,
        "aliases (*a) are not supported",
    )


@pytest.mark.parametrize("loader", LOADERS)
def test_problems_that_keep_the_document_readable_are_all_reported(loader: LoaderClass) -> None:
    text = "a: !custom 1\nb: &x 2\nb: 3\nc: *x\n"
    _, found = parse_document(text, loader=loader)
    assert [(p.line, p.column) for p in found] == [(1, 4), (2, 4), (3, 1), (4, 4)]


@pytest.mark.parametrize("loader", LOADERS)
def test_nesting_up_to_the_limit_is_accepted(loader: LoaderClass) -> None:
    inner = MAX_DEPTH - 1  # the top-level mapping is the first level
    value, found = parse_document("a: " + "[" * inner + "]" * inner + "\n", loader=loader)
    assert found == []
    assert value is not None


@pytest.mark.parametrize("loader", LOADERS)
def test_nesting_beyond_the_limit_is_refused_where_it_happens(loader: LoaderClass) -> None:
    value, found = parse_document("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", loader=loader)
    assert value is None
    assert [(p.line, p.column, p.message) for p in found] == [
        (1, 4 + MAX_DEPTH - 1, "nesting is deeper than 64 levels")
    ]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "a: " + "{b: " * 10_000 + "1" + "}" * 10_000,
        "".join(" " * i + "k:\n" for i in range(10_000)),
        "- " * 10_000 + "x",
    ],
    ids=["flow-sequences", "flow-mappings", "block-mappings", "block-sequences"],
)
def test_ten_thousand_levels_fail_cleanly_and_quickly(text: str, loader: LoaderClass) -> None:
    started = time.thread_time()  # CPU spent here, whatever the machine's load
    value, found = parse_document(text, loader=loader)
    assert time.thread_time() - started < 2
    assert value is None
    assert [p.message for p in found] == ["nesting is deeper than 64 levels"]


@pytest.mark.parametrize("loader", LOADERS)
def test_crlf_line_endings_are_accepted(loader: LoaderClass) -> None:
    value, found = parse_document("a: 1\r\nb:\r\n  - x\r\n", loader=loader)
    assert found == []
    assert value == {"a": 1, "b": ["x"]}
    _, found = parse_document("a: 1\r\nb: !custom x\r\n", loader=loader)
    assert [(p.line, p.column) for p in found] == [(2, 4)]


def test_a_byte_order_mark_is_accepted_and_does_not_shift_columns() -> None:
    text, problem = decode_yaml_bytes(b"\xef\xbb\xbfa: !custom x\r\n")
    assert problem is None
    _, found = parse_document(text)
    assert [(p.line, p.column) for p in found] == [(1, 4)]


@pytest.mark.parametrize(
    ("data", "line", "column", "byte"),
    [
        (b"a: 1\nb: caf\xe9\n", 2, 7, "0xe9"),
        (b"\xef\xbb\xbfa: \xff\n", 1, 4, "0xff"),
        (b"a: \xc3\xa9\xc3\n", 1, 5, "0xc3"),
        (b"\xff\xfea\x00:\x00", 1, 1, "0xff"),  # UTF-16 is not accepted either
    ],
)
def test_bytes_that_are_not_utf8_are_refused_at_the_first_bad_byte(
    data: bytes, line: int, column: int, byte: str
) -> None:
    _, problem = decode_yaml_bytes(data)
    assert problem is not None
    assert (problem.line, problem.column) == (line, column)
    assert problem.message == f"not valid UTF-8: byte {byte} (save the file as UTF-8)"


def test_source_map_locates_keys_values_and_the_deepest_existing_parent() -> None:
    source = SourceMap("a:\n  b:\n    - x\n    - {c: 010}\n")
    assert source.locate(("a", "b", 1, "c")) == (4, 11)
    assert source.locate(("a", "b", 1, "c"), at="key") == (4, 8)
    assert source.locate(("a", "b", 1, "missing")) == (4, 7)
    assert source.locate(("a", "b", 7)) == (3, 5)
    assert source.source_text(("a", "b", 1, "c")) == "010"
    assert source.source_text(("a", "b")) is None


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("text", [".inf: 1\n", "a: [.nan, x]\n", "!!int x: 1\n"])
def test_a_refused_scalar_is_one_problem_not_two(text: str, loader: LoaderClass) -> None:
    _, found = parse_document(text, loader=loader)
    assert len(found) == 1, found
