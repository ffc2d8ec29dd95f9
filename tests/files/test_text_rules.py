"""The API's save rules for names and descriptions, applied by `validate` before anything is sent:
every broken rule reported at once at file:line:column, after `${env.X}` / `${secret.X}` were
filled in, never quoting a secret; and the schema's `pattern` for editors says the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onepin_sync.files.filecheck import FieldProblem, MessageContext, text_problems
from onepin_sync.files.fileformat import workflow_json_schema
from tests.files.folders import load, problems, write_tree

ENV = {"PADDED": "Welcome ", "BELL": "ding\a", "LATIN1": "caf\udce9", "TOKEN": "s3cr3t-value"}


def _file(name: str, description: str | None = None) -> str:
    text = f"name: {name}\n"
    if description is not None:
        text += f"description: {description}\n"
    return text + "definition: {}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(_file("'   '"), ["1:7: name: must not be blank"], id="blank-is-only-blank"),
        pytest.param(
            _file('"\\u3000\\t"'),
            ["1:7: name: must not be blank"],
            id="unicode-whitespace-is-blank",
        ),
        pytest.param(
            _file("' Welcome call '"),
            [
                "1:7: name: must not start or end with whitespace (the API may trim it, and the"
                " stored name would then differ from the file); write 'Welcome call'"
            ],
            id="surrounding-spaces",
        ),
        pytest.param(
            _file('"Tab\\there"'),
            ["1:7: name: must not contain control characters (U+0009 tab at character 4)"],
            id="tab",
        ),
        pytest.param(
            _file("|\n  Line one\n  line two"),
            [
                "1:7: name: must not contain control characters (U+000A line feed at character 9)",
                "1:7: name: must not start or end with whitespace (the API may trim it, and the"
                " stored name would then differ from the file); write 'Line one\\nline two'",
            ],
            id="block-scalar-newlines",
        ),
        pytest.param(
            _file('"a\\0b\\x7fc\\x85d\\x9f"'),
            [
                "1:7: name: must not contain control characters (U+0000 NUL at character 2,"
                " and 3 more)"
            ],
            id="c0-del-c1",
        ),
        pytest.param(
            _file('"Invoice \\u202eFDP.exe"'),
            [
                "1:7: name: must not contain text direction controls (U+202E RIGHT-TO-LEFT"
                " OVERRIDE at character 9)"
            ],
            id="bidi-override",
        ),
        pytest.param(
            _file('"One\\u2028two"'),
            [
                "1:7: name: must not contain line or paragraph separators (U+2028 LINE SEPARATOR"
                " at character 4)"
            ],
            id="line-separator",
        ),
        pytest.param(
            _file("'" + "x" * 201 + "'", '"Ring \\a"'),
            [
                "1:7: name: is 201 characters long; the limit is 200",
                "2:14: description: must not contain control characters other than tab and"
                " newline (U+0007 at character 6)",
            ],
            id="length-and-description-at-once",
        ),
        pytest.param(
            _file("ok", "'" + "d" * 5001 + "'"),
            ["2:14: description: is 5001 characters long; the limit is 5000"],
            id="description-too-long",
        ),
        pytest.param(
            _file('"Cafe\\u0301 reminder"'),
            [
                "1:7: name: must be in Unicode normal form C, letters and accents composed (the"
                " API may compose them, and the stored name would then differ from the file);"
                " write 'Café reminder'"
            ],
            id="decomposed-accent",
        ),
        pytest.param(
            _file("'${env.PADDED}'"),
            [
                "1:7: name: must not start or end with whitespace (the API may trim it, and the"
                " stored name would then differ from the file); write 'Welcome'"
            ],
            id="interpolated-env",
        ),
        pytest.param(
            _file("ok", "'Bell: ${env.BELL}'"),
            [
                "2:14: description: must not contain control characters other than tab and"
                " newline (U+0007 at character 11)"
            ],
            id="interpolated-control",
        ),
        pytest.param(
            _file("'Menu ${env.LATIN1}'"),
            ["1:7: name: is not valid Unicode text (a variable's value that is not UTF-8?)"],
            id="variable-not-utf8",
        ),
    ],
)
def test_each_broken_rule_is_reported(tmp_path: Path, text: str, expected: list[str]) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": text})
    assert problems(folder, ENV) == [f"a.yaml:{line}" for line in expected]


def test_a_name_or_description_holding_a_secret_is_never_quoted(tmp_path: Path) -> None:
    text = _file('" Hotline\\t${secret.TOKEN} "', '"${secret.TOKEN}\\a"')

    found = problems(write_tree(tmp_path / "wf", {"a.yaml": text}), ENV)

    assert found == [
        "a.yaml:1:7: name: must not contain control characters (U+0009 tab at character 9)",
        "a.yaml:1:7: name: must not start or end with whitespace (the API may trim it, and the"
        " stored name would then differ from the file)",
        "a.yaml:2:14: description: must not contain control characters other than tab and"
        " newline (U+0007 at character 13)",
    ]
    assert all("s3cr3t" not in message for message in found)


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "y" * 200,
        "Welcome call (EN/ES/FR)",
        "Émile's café ☕ — été",
        "👩\u200d💻 Dev team",  # a zero-width joiner is part of the emoji
        "שלום\u200f world",  # right-to-left mark: a mark, not an override
        "two  spaces inside",
    ],
)
def test_names_the_api_takes_are_accepted(tmp_path: Path, name: str) -> None:
    escaped = name.encode("unicode_escape").decode("ascii")
    state = load(write_tree(tmp_path / "wf", {"a.yaml": _file(f'"{escaped}"')}))
    assert state.workflows["a"].spec.name == name


def test_a_description_keeps_tabs_and_line_breaks(tmp_path: Path) -> None:
    text = _file("ok", '"Line one\\r\\n\\tindented\\u2028and more"')
    state = load(write_tree(tmp_path / "wf", {"a.yaml": text}))
    assert state.workflows["a"].spec.description == "Line one\r\n\tindented\u2028and more"


def _schema_accepts(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None  # `$` as in ECMA-262: no final newline


def test_the_schema_patterns_say_what_the_checks_say() -> None:
    properties = workflow_json_schema()["properties"]
    name_pattern = properties["name"]["pattern"]
    description_pattern = properties["description"]["pattern"]
    context = MessageContext()

    def expressible(problems: list[FieldProblem]) -> list[FieldProblem]:
        # Unicode normal form C is beyond a regular expression: not in the schema's pattern.
        return [p for p in problems if "normal form C" not in p.message]

    # Every character of the Basic Multilingual Plane but the surrogates (which editors' regular
    # expressions see as halves of astral characters), alone, at each end and inside.
    for code in (*range(0xD800), *range(0xE000, 0x10000)):
        c = chr(code)
        for name in (c, c + "a", "a" + c, "a" + c + "b"):
            checked = not expressible(text_problems({"name": name}, context))
            assert _schema_accepts(name_pattern, name) == checked, (hex(code), name)
        description = "a" + c + "b"
        checked = not text_problems({"description": description}, context)
        assert _schema_accepts(description_pattern, description) == checked, hex(code)
