"""Hostile workflow files through the real CLI: `validate` and `plan` exit 3, name file:line:col,
and the API receives nothing at all (not even the listing).

tests/loader/ covers each refusal in depth at the loader's level; this family adds the command
line, the "nothing reaches the API" check against the emulator's request log, the 50 MB file and
10,000 levels of nesting end to end, the YAML 1.1 traps as the API finally stores them, and a
time-boxed fuzz of `plan` itself.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.files.folders import PIPELINE
from tests.files.test_fuzz import YAMLISH
from tests.reliability.harness import EXAMPLE_KEYS, Tracked, applied_examples, assert_invariants

LAUGHS = "name: Laughs\ndefinition: {}\n" + "\n".join(
    [
        "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)),
    ]
)


def _refused_everywhere(sync: Tracked, *expected: str) -> None:
    """`validate` and `plan` both exit 3 printing each expected fragment; no request is made."""
    for command in ("validate", "plan"):
        started = time.process_time()  # CPU, not the machine's load
        result = sync.run(command)
        assert result.code == 3, result.output
        assert time.process_time() - started < 3
        assert "Traceback" not in result.output
        assert "internal error" not in result.output
        for fragment in expected:
            assert fragment in result.stderr, result.stderr
    assert sync.workspace.requests() == []


def _where(sync: Tracked, relative: str, line: int, column: int) -> str:
    return f"Error: {sync.project.workflows / relative}:{line}:{column}: "


@pytest.mark.parametrize(
    ("content", "line", "column", "message"),
    [
        (LAUGHS, 3, 5, "anchors (&a0) are not supported"),
        ("name: A\nname: B\ndefinition: {}\n", 2, 1, "duplicate key 'name'"),
        (
            "name: !!python/object/apply:os.system ['touch PWNED']\ndefinition: {}\n",
            1,
            7,
            "tag",
        ),
        ("name: A\ndefinition: !!python/name:os.system {}\n", 2, 13, "tag"),
        ("name: A\ndefinition:\n  graph: " + "[" * 10_000 + "]" * 10_000 + "\n", 3, 72,
         "nesting is deeper than 64 levels"),
        ("name: A\ndefinition:\n  graph:\n    " + "- " * 10_000 + "x\n", 4, 129,
         "nesting is deeper than 64 levels"),
        (b"name: Caf\xe9\ndefinition: {}\n", 1, 10, "not valid UTF-8"),
        ("\ufeffname: A\r\nname: B\r\ndefinition: {}\r\n", 2, 1, "duplicate key 'name'"),
    ],
    ids=[
        "billion-laughs",
        "duplicate-key",
        "python-object-tag",
        "python-name-tag",
        "10000-deep-flow",
        "10000-deep-block",
        "not-utf8",
        "bom-crlf-duplicate",
    ],
)  # fmt: skip
def test_a_hostile_file_is_refused_where_it_is_wrong_and_nothing_is_sent(
    sync: Tracked, content: str | bytes, line: int, column: int, message: str
) -> None:
    sync.project.copy_examples()  # valid neighbours: one bad file is enough to send nothing
    path = sync.project.workflows / "hostile.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))

    _refused_everywhere(sync, _where(sync, "hostile.yaml", line, column) + message)
    assert not Path("PWNED").exists()
    assert not (sync.project.root / "PWNED").exists()
    path.unlink()
    assert_invariants(sync)


def test_a_50_mb_file_is_refused_before_it_is_read(sync: Tracked) -> None:
    sync.project.copy_examples()
    path = sync.project.workflows / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(b"name: Huge\ndefinition: {}\nfiller: '")
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b"'\n")

    _refused_everywhere(sync, f"Error: {path}: ", "the limit is 1 MiB")
    path.unlink()
    assert_invariants(sync)


def test_the_same_key_from_two_files_is_refused(sync: Tracked) -> None:
    sync.project.copy_examples()
    first = sync.project.workflows / "support" / "welcome-call.yaml"
    second = first.with_suffix(".yml")
    second.write_bytes(first.read_bytes())

    _refused_everywhere(sync, f"Error: {second}: defines workflow 'support/welcome-call' again")
    second.unlink()
    assert_invariants(sync)


def test_a_symlink_out_of_the_workflows_folder_is_refused(sync: Tracked, tmp_path: Path) -> None:
    sync.project.copy_examples()
    outside = tmp_path / "outside.yaml"
    outside.write_text(PIPELINE, encoding="utf-8")
    link = sync.project.workflows / "linked.yaml"
    os.symlink(outside, link)

    _refused_everywhere(sync, f"Error: {link}: symlink to a file outside the workflows folder")
    link.unlink()
    assert_invariants(sync)


def test_yaml_1_1_traps_reach_the_api_exactly_as_written(sync: Tracked) -> None:
    sync.project.workflows.joinpath("traps.yaml").write_text(
        "name: no\n"
        "description: on\n"
        "definition:\n"
        "  graph:\n"
        "    nodes:\n"
        "      - {id: script, type: source_script, config: {script_text: 1:30}}\n"
        "      - {id: out, type: sink_preview}\n"
        "    edges:\n"
        "      - {id: e, source: script, sourcePort: lines, target: out, targetPort: lines}\n"
        "  execution:\n"
        "    params: {retries: 010, at: 12:30:00, flag: yes, nothing: ~}\n",
        encoding="utf-8",
    )

    applied = sync.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    (stored,) = sync.remote()
    assert (stored["name"], stored["description"]) == ("no", "on")
    script = stored["definition"]["graph"]["nodes"][0]
    assert script["config"]["script_text"] == "1:30"
    params = stored["definition"]["execution"]["params"]
    assert params == {"retries": 10, "at": "12:30:00", "flag": "yes", "nothing": None}
    assert_invariants(sync)


def test_a_bom_and_crlf_rewrite_of_applied_files_changes_nothing(sync: Tracked) -> None:
    applied_examples(sync)
    for key in EXAMPLE_KEYS:
        path = sync.project.path(key)
        text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
        path.write_bytes("\ufeff".encode() + text.encode("utf-8"))

    planned = sync.run("plan", "--detailed-exitcode")

    assert planned.code == 0, planned.output
    assert "No changes." in planned.stdout
    assert_invariants(sync)


FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,  # the same examples in CI every time: a time box, not a lottery
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(position=st.integers(min_value=0, max_value=len(PIPELINE)), insert=YAMLISH)
def test_fuzzed_files_get_a_clean_answer_and_invalid_ones_send_nothing(
    sync: Tracked, position: int, insert: str
) -> None:
    text = PIPELINE[:position] + insert + PIPELINE[position:]
    sync.project.workflows.joinpath("fuzz.yaml").write_bytes(
        text.encode("utf-8", errors="surrogatepass")
    )
    seen = {r.seq for r in sync.workspace.requests()}

    result = sync.project.run("plan", "--timeout", "5")

    sent = [r for r in sync.workspace.requests() if r.seq not in seen]
    assert result.code in {0, 3}, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    if result.code == 3:
        assert sent == [], result.output
    else:
        assert {r.method for r in sent} == {"GET"}
