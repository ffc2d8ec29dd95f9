"""`fmt`: one canonical layout for workflow files, comments kept, values never changed."""

from __future__ import annotations

from pathlib import Path

import pytest

import onepin_sync
from onepin_sync.cli import run
from tests.sync_project import EXAMPLES

MESSY = """\
# yaml-language-server: $schema=../schemas/workflow.schema.json
definition:   # the graph
    graph:
        edges:
        -   id: e1
            source: s
            sourcePort: lines
            target: o
            targetPort: lines
        nodes:
        -   type: source_script
            id: s
            config:
                script_text: 'Hello'   # keep it short
                source_language: "en-us"
        -   {type: sink_preview, id: o, position: {y: 0, x: 280}}
description: 'Says hello.'
name: Greeting
# the end
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/workflow.schema.json
name: Greeting
description: Says hello.
definition:   # the graph
  graph:
    nodes:
      - id: s
        type: source_script
        config:
          script_text: Hello           # keep it short
          source_language: en-us
      - id: o
        type: sink_preview
        position: {x: 280, y: 0}
    edges:
      - {id: e1, source: s, sourcePort: lines, target: o, targetPort: lines}
# the end
"""


def _fmt(folder: Path, *args: str) -> int:
    return run(["fmt", "--dir", str(folder), *args])


def test_check_lists_a_file_that_would_change_and_fmt_makes_it_canonical(
    tmp_path: Path,
) -> None:
    path = tmp_path / "greeting.yaml"
    path.write_text(MESSY, encoding="utf-8")

    assert _fmt(tmp_path, "--check") == 3
    assert path.read_text(encoding="utf-8") == MESSY
    assert _fmt(tmp_path) == 0
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert _fmt(tmp_path, "--check") == 0


def test_check_names_the_changed_files_and_keys_choose_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(MESSY, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CANONICAL, encoding="utf-8")

    assert _fmt(tmp_path, "--check", "b") == 0
    assert _fmt(tmp_path, "--check") == 3
    captured = capsys.readouterr()
    assert "a.yaml" in captured.out
    assert "b.yaml" not in captured.out
    assert "1 of 2 workflow file(s) would be reformatted" in captured.err
    assert _fmt(tmp_path, "nope") == 3
    assert "no workflow file for: nope" in capsys.readouterr().err


def test_a_file_that_does_not_parse_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(MESSY, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")

    assert _fmt(tmp_path) == 3
    assert "bad.yaml:" in capsys.readouterr().err
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == MESSY


def test_a_byte_order_mark_is_read_as_the_loader_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate and plan accept a BOM (it hashes the same), so fmt does too; a rewrite drops
    it, and a file that is not UTF-8 is refused at its bad byte."""
    bom = b"\xef\xbb\xbf"
    canonical, messy = tmp_path / "canonical.yaml", tmp_path / "messy.yaml"
    canonical.write_bytes(bom + CANONICAL.encode())
    messy.write_bytes(bom + MESSY.encode())

    assert _fmt(tmp_path, "--check", "canonical") == 0
    assert _fmt(tmp_path) == 0
    assert canonical.read_bytes() == bom + CANONICAL.encode()  # already canonical: untouched
    assert messy.read_bytes() == CANONICAL.encode()
    capsys.readouterr()
    (tmp_path / "latin1.yaml").write_bytes(b"name: Caf\xe9\n")
    assert _fmt(tmp_path) == 3
    assert "latin1.yaml:1:10: not valid UTF-8: byte 0xe9" in capsys.readouterr().err


def test_a_windows_checkout_keeps_its_line_ends(tmp_path: Path) -> None:
    """git with core.autocrlf checks files out with CRLF: a canonical one passes --check, and a
    rewrite lays the file out with CRLF again, every line (comments too)."""
    canonical, messy = tmp_path / "canonical.yaml", tmp_path / "messy.yaml"
    canonical.write_bytes(CANONICAL.replace("\n", "\r\n").encode())
    messy.write_bytes(MESSY.replace("\n", "\r\n").encode())

    assert _fmt(tmp_path, "--check", "canonical") == 0
    assert _fmt(tmp_path) == 0
    assert messy.read_bytes() == CANONICAL.replace("\n", "\r\n").encode()
    assert _fmt(tmp_path, "--check") == 0


def test_the_examples_and_the_one_init_writes_are_canonical() -> None:
    assert _fmt(EXAMPLES, "--check") == 0
    assert _fmt(Path(onepin_sync.__file__).parent / "scaffold" / "workflows", "--check") == 0
