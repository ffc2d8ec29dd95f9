"""Helpers to write a workflows folder and read back what the loader says about it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from onepin_sync.core.models import DesiredState
from onepin_sync.errors import WorkflowFileError
from onepin_sync.files.loader import load_workflows
from tests.samples import MINIMAL, PIPELINE

__all__ = ["MINIMAL", "PIPELINE", "load", "only_problem", "problems", "write_tree"]


def write_tree(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) under `folder`; returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def load(folder: Path, env: Mapping[str, str] | None = None) -> DesiredState:
    return load_workflows(folder, env=env or {})


def problems(folder: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The problems the loader reports, as printed, with paths relative to `folder`."""
    try:
        load(folder, env)
    except WorkflowFileError as error:
        prefix = f"{folder}/"
        return [str(problem).removeprefix(prefix) for problem in error.problems]
    raise AssertionError("the folder loaded without problems")


def only_problem(folder: Path, env: Mapping[str, str] | None = None) -> str:
    found = problems(folder, env)
    assert len(found) == 1, found
    return found[0]
