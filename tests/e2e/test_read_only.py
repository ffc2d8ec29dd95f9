"""A checkout onepin-sync cannot write into (a CI runner mounting the repository read-only): the
commands that only read still run, without caching the node catalogue, and those that write stop
before writing anything.

`.onepin-sync/` is made impossible to create by a regular file in its place, which stops root
as well as any other user (a read-only mount or `chmod` does not stop root).
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.support import WORKFLOWS, apply_examples, recorded, writes
from tests.sync_project import SyncProject

NOT_CACHED = "Warning: the node catalogue could not be cached ("


@pytest.fixture
def read_only(project: SyncProject) -> SyncProject:
    """The examples applied, then `.onepin-sync/` made impossible to create."""
    apply_examples(project)
    local = project.root / ".onepin-sync"
    for child in local.iterdir():
        child.unlink()
    local.rmdir()
    local.write_text("not a folder\n", encoding="utf-8")
    return project


@pytest.mark.parametrize(
    "args",
    [("plan",), ("plan", "--json"), ("list",), ("validate", "--online")],
    ids=["plan", "plan --json", "list", "validate --online"],
)
def test_a_command_that_only_reads_runs_and_warns_once_that_the_catalogue_was_not_cached(
    read_only: SyncProject, args: tuple[str, ...]
) -> None:
    before = read_only.lockfile.read_bytes()

    with recorded(read_only.workspace) as sent:
        result = read_only.run(*args)

    assert result.code == 0, result.output
    if args[0] != "validate":  # it reads no catalogue: it asks the API to check the files
        assert result.stderr.count(NOT_CACHED) == 1, result.stderr
        assert f"{read_only.root / '.onepin-sync'}: " in result.stderr
    assert "internal error" not in result.output
    if args == ("plan", "--json"):
        assert json.loads(result.stdout)["changes"] == []
    assert [r.path for r in writes(sent) if r.path != f"{WORKFLOWS}/validate"] == []
    assert read_only.lockfile.read_bytes() == before
    assert (read_only.root / ".onepin-sync").read_text(encoding="utf-8") == "not a folder\n"


def test_a_command_that_writes_stops_at_the_state_lock_before_any_request(
    read_only: SyncProject,
) -> None:
    read_only.write("extra", {**read_only.read("support/welcome-call"), "name": "Extra"})
    before = read_only.lockfile.read_bytes()

    with recorded(read_only.workspace) as sent:
        result = read_only.run("apply", "--auto-approve")

    assert result.code == 1, result.output
    assert result.stderr == (
        f"Error: {read_only.root / '.onepin-sync'}: cannot take the state lock (File exists); a "
        f"command that writes needs {read_only.root / '.onepin-sync'} to be writable. Nothing "
        "was written\n"
    )
    assert sent == []
    assert read_only.lockfile.read_bytes() == before
