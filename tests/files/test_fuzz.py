"""Whatever bytes a workflow file holds, the loader answers with a result or our own error."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onepin_sync.errors import OnepinSyncError
from onepin_sync.files.loader import load_workflows
from tests.files.folders import PIPELINE

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
YAMLISH = st.lists(
    st.sampled_from(
        [
            *"abcxyz019 :-[]{},'\"!&*#|>?%@`~.$\\\t\n\r",
            "${env.X}",
            "${secret.S}",
            "$${",
            "name: ",
            "definition:",
            "graph:",
            "nodes:",
            "edges:",
            "- ",
            "id: ",
            "type: ",
            "sink_preview",
            "!!str ",
            "!!int ",
            "!!python/object ",
            "<<: ",
            "---\n",
            "\ufeff",
            "\x00",
            "\x85",
            "é",
            "\ud7ff",
            "1e999",
            ".inf",
            "0x",
            "0o",
            "010",
            "  ",
        ]
    ),
    max_size=60,
).map("".join)


def _load_file(folder: Path, data: bytes) -> None:
    (folder / "fuzz.yaml").write_bytes(data)
    with contextlib.suppress(OnepinSyncError):
        load_workflows(folder, env={"X": "x", "S": "s"})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "wf"
    path.mkdir()
    return path


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(folder: Path, data: bytes) -> None:
    _load_file(folder, data)


@FUZZ
@given(text=YAMLISH)
def test_arbitrary_yaml_like_text(folder: Path, text: str) -> None:
    _load_file(folder, text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(position=st.integers(min_value=0, max_value=len(PIPELINE)), insert=YAMLISH)
def test_a_valid_file_with_text_inserted_anywhere(folder: Path, position: int, insert: str) -> None:
    text = PIPELINE[:position] + insert + PIPELINE[position:]
    _load_file(folder, text.encode("utf-8", errors="surrogatepass"))
