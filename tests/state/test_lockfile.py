"""The lockfile's secret places: written sorted, required by format 2, empty after format 1; and
never a secret in a name, even one the files no longer name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from onepin_sync.core.models import RemoteWorkflow, StateFile
from onepin_sync.core.redact import Redactor
from onepin_sync.core.transitions import entry_for
from onepin_sync.errors import StateError
from onepin_sync.state.lockfile import lockfile_text, parse_lockfile

TOKEN = ["definition", "graph", "nodes[gen]", "config", "api_token"]
REMOTE = RemoteWorkflow(
    id="wf-1",
    name="Hotline",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 1, 2, tzinfo=UTC),
)


def _state() -> StateFile:
    entry = entry_for(REMOTE, "sha256:a", "salt", False, secret_paths=[tuple(TOKEN), ("name",)])
    return StateFile(
        lineage="l", salt="salt", api_url="https://api", workspace="ws", workflows={"k": entry}
    )


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(lockfile_text(_state()))
    return raw


def test_secret_places_are_written_sorted_and_read_back() -> None:
    text = lockfile_text(_state())

    assert json.loads(text)["workflows"]["k"]["secret_paths"] == [TOKEN, ["name"]]
    assert parse_lockfile(text, "onepin-sync.lock") == _state()


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (None, "workflows.k.secret_paths: Field required"),
        ([[]], "workflows.k.secret_paths.0: List should have at least 1 item"),
        ([["name", 1]], "workflows.k.secret_paths.0.1: Input should be a valid string"),
        ("name", "workflows.k.secret_paths: Input should be a valid list"),
    ],
    ids=["missing", "an empty place", "not a string", "not a list"],
)
def test_format_2_requires_well_formed_secret_places(paths: Any, message: str) -> None:
    raw = _raw()
    if paths is None:
        del raw["workflows"]["k"]["secret_paths"]
    else:
        raw["workflows"]["k"]["secret_paths"] = paths

    with pytest.raises(StateError, match=f"damaged lockfile: {message}"):
        parse_lockfile(json.dumps(raw), "onepin-sync.lock")


def test_a_format_1_lockfile_is_read_with_no_secret_places() -> None:
    raw = _raw()
    raw["format_version"] = 1
    del raw["pending"], raw["workflows"]["k"]["secret_paths"]

    state = parse_lockfile(json.dumps(raw), "onepin-sync.lock")

    assert state.format_version == 2
    assert state.workflows["k"].secret_paths == ()
    assert json.loads(lockfile_text(state))["workflows"]["k"]["secret_paths"] == []


def test_a_name_that_is_a_secret_place_is_recorded_masked() -> None:
    hotline = REMOTE.model_copy(update={"name": "Hotline hl-5512"})
    current = Redactor(["hl-5512"])
    old = Redactor(["hl-9999"])  # the files now name another secret: this one is an old value

    def name(secrets: Redactor, paths: list[tuple[str, ...]]) -> str:
        return entry_for(
            hotline, "sha256:a", "salt", False, secret_paths=paths, secrets=secrets
        ).name

    assert name(current, [("name",)]) == "Hotline (sensitive)"
    assert name(old, [("name",)]) == "(sensitive)"
    assert name(old, []) == "Hotline hl-5512"  # not a secret place: a name like any other
