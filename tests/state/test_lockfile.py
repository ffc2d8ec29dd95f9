"""The lockfile's secret places: written sorted, required since format 2, empty after format 1;
never a secret in a name, even one the files no longer name; and the file an entry was applied
from (format 3), written only when known, so a format 2 lockfile reads as entries without it;
and every key, id, hash and serial exactly of the form onepin-sync writes, or the lockfile is
damaged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from onepin_sync.core.keys import NEVER_APPLIED
from onepin_sync.core.models import RemoteWorkflow, StateFile, WorkflowSpec
from onepin_sync.core.redact import Redactor
from onepin_sync.core.transitions import entry_for, pending_create
from onepin_sync.errors import StateError
from onepin_sync.state.lockfile import FORMAT_VERSION, lockfile_text, parse_lockfile

TOKEN = ["definition", "graph", "nodes[gen]", "config", "api_token"]
A, B, F = ("sha256:" + digit * 64 for digit in "abf")
REMOTE = RemoteWorkflow(
    id="3d4c5244-648b-4b68-a4b2-6ee739e47a2a",
    name="Hotline",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 1, 2, tzinfo=UTC),
)


def _state() -> StateFile:
    entry = entry_for(REMOTE, A, "salt", False, secret_paths=[tuple(TOKEN), ("name",)])
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

    assert state.format_version == FORMAT_VERSION == 3
    assert state.workflows["k"].secret_paths == ()
    assert json.loads(lockfile_text(state))["workflows"]["k"]["secret_paths"] == []


def test_a_name_that_is_a_secret_place_is_recorded_masked() -> None:
    hotline = REMOTE.model_copy(update={"name": "Hotline hl-5512"})
    current = Redactor(["hl-5512"])
    old = Redactor(["hl-9999"])  # the files now name another secret: this one is an old value

    def name(secrets: Redactor, paths: list[tuple[str, ...]]) -> str:
        return entry_for(hotline, A, "salt", False, secret_paths=paths, secrets=secrets).name

    assert name(current, [("name",)]) == "Hotline (sensitive)"
    assert name(old, [("name",)]) == "(sensitive)"
    assert name(old, []) == "Hotline hl-5512"  # not a secret place: a name like any other


def test_the_file_an_entry_was_applied_from_is_written_only_when_known() -> None:
    known = entry_for(REMOTE, A, "salt", False, file_hash=F, variables=("env.REGION",))
    unknown = (
        _state().workflows["k"].model_copy(update={"id": "00000000-0000-4000-8000-000000000002"})
    )
    state = _state().model_copy(update={"workflows": {"k": known, "j": unknown}})
    raw = json.loads(lockfile_text(state))

    assert (raw["workflows"]["k"]["file_hash"], raw["workflows"]["k"]["variables"]) == (
        F,
        ["env.REGION"],
    )
    assert "file_hash" not in raw["workflows"]["j"]
    assert "variables" not in raw["workflows"]["j"]
    assert parse_lockfile(lockfile_text(state), "onepin-sync.lock") == state


def test_a_pending_create_keeps_the_files_lifecycle_flags_written_only_when_not_default() -> None:
    sent = datetime(2026, 1, 3, tzinfo=UTC)
    spec = WorkflowSpec(name="Hotline")
    flagged = pending_create(
        spec, A, "salt", False, sent_at=sent, destroy=False, ignore_changes=("name",)
    )
    plain = pending_create(spec, B, "salt", False, sent_at=sent)
    state = _state().model_copy(update={"pending": {"p": flagged, "q": plain}})
    raw = json.loads(lockfile_text(state))

    assert (raw["pending"]["p"]["destroy"], raw["pending"]["p"]["ignore_changes"]) == (
        False,
        ["name"],
    )
    assert "destroy" not in raw["pending"]["q"]
    assert "ignore_changes" not in raw["pending"]["q"]
    assert parse_lockfile(lockfile_text(state), "onepin-sync.lock") == state


def test_a_format_2_lockfile_is_read_as_entries_that_record_no_file() -> None:
    raw = _raw()
    raw["format_version"] = 2

    assert parse_lockfile(json.dumps(raw), "onepin-sync.lock") == _state()
    raw["workflows"]["k"]["file_hash"] = F  # format 2 had no such field
    with pytest.raises(StateError, match=r"damaged lockfile: workflows\.k\.file_hash"):
        parse_lockfile(json.dumps(raw), "onepin-sync.lock")


def test_a_lockfile_of_a_newer_format_is_refused_as_such() -> None:
    raw = _raw()
    raw["format_version"] = FORMAT_VERSION + 1

    with pytest.raises(StateError, match="written by a newer onepin-sync; upgrade"):
        parse_lockfile(json.dumps(raw), "onepin-sync.lock")


def test_a_file_nested_deeper_than_any_lockfile_is_refused_as_damaged() -> None:
    with pytest.raises(StateError, match="not a lockfile \\(nested too deeply\\)"):
        parse_lockfile("[" * 100_000 + "]" * 100_000, "onepin-sync.lock")


def _entry_text() -> str:
    return json.dumps(_raw()["workflows"]["k"])


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('"workflows": {', f'"workflows": {{"k": {_entry_text()}, ', "'k'"),
        ('"applied_hash": ', '"name": "Other", "applied_hash": ', "'name'"),
    ],
    ids=["an entry", "a field of an entry"],
)
def test_a_key_written_twice_is_damage_naming_the_key(old: str, new: str, key: str) -> None:
    """As a merge that kept both sides leaves it: the decoder would keep the last silently."""
    twice = lockfile_text(_state()).replace(old, new, 1)

    with pytest.raises(StateError, match=f"damaged lockfile: key {key} appears twice"):
        parse_lockfile(twice, "onepin-sync.lock")


def _with(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """`raw` with the field at `path` set to `value`."""
    *parents, last = path
    record = raw
    for step in parents:
        record = record[step]
    record[last] = value
    return raw


def _pending_raw() -> dict[str, Any]:
    sent = datetime(2026, 1, 3, tzinfo=UTC)
    pending = pending_create(WorkflowSpec(name="Hotline"), A, "salt", False, sent_at=sent)
    state = _state().model_copy(update={"pending": {"p": pending}})
    raw: dict[str, Any] = json.loads(lockfile_text(state))
    return raw


NOT_AN_ID = "not a workflow id \\(a lower-case UUID\\)"
NOT_A_HASH = "not a hash \\(sha256: and 64 hex digits\\)"
NOT_APPLIED = "not a hash \\(sha256: and 64 hex digits, or never-applied\\)"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("workflows", "k", "id"), "../../x", f"workflows.k.id: {NOT_AN_ID}"),
        (("workflows", "k", "id"), REMOTE.id.upper(), f"workflows.k.id: {NOT_AN_ID}"),
        (("workflows", "k", "id"), REMOTE.id + "\n", f"workflows.k.id: {NOT_AN_ID}"),
        (("workflows", "k", "applied_hash"), "md5:abc", f"workflows.k.applied_hash: {NOT_APPLIED}"),
        (("workflows", "k", "remote_hash"), "sha256:xyz", f"workflows.k.remote_hash: {NOT_A_HASH}"),
        (
            ("workflows", "k", "remote_hash"),
            "never-applied",
            f"workflows.k.remote_hash: {NOT_A_HASH}",
        ),
        (("workflows", "k", "file_hash"), A.upper(), f"workflows.k.file_hash: {NOT_A_HASH}"),
        (("workflows", "k", "listed_hash"), A + "0", f"workflows.k.listed_hash: {NOT_A_HASH}"),
        (("pending", "p", "name_hash"), "", f"pending.p.name_hash: {NOT_A_HASH}"),
        (("pending", "p", "structure"), "h", f"pending.p.structure: {NOT_A_HASH}"),
        (("pending", "p", "applied_hash"), "h", f"pending.p.applied_hash: {NOT_APPLIED}"),
        (("serial",), -1, "serial: Input should be greater than or equal to 0"),
    ],
    ids=[
        "an id that is a path",
        "an id in capitals",
        "an id and a newline",
        "an applied hash of another kind",
        "a remote hash that is not hex",
        "a remote hash never applied",
        "a file hash in capitals",
        "a listed hash too long",
        "an empty name hash",
        "a structure that is not a hash",
        "a pending applied hash",
        "a negative serial",
    ],
)
def test_a_field_that_is_not_what_onepin_sync_writes_is_damage(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    raw = _with(_pending_raw(), path, value)

    with pytest.raises(StateError, match=f"^onepin-sync.lock: damaged lockfile: {message}; "):
        parse_lockfile(json.dumps(raw), "onepin-sync.lock")


@pytest.mark.parametrize(
    ("records", "key", "message"),
    [
        ("workflows", "../../evil key", "'../../evil key': '..' cannot be part of a workflow key"),
        ("workflows", "/abs", "'/abs': '' cannot be part of a workflow key"),
        ("workflows", "a//b", "'a//b': '' cannot be part of a workflow key"),
        ("workflows", "a\nb", "'a\\nb': 'a\\nb' cannot be part of a workflow key"),
        (
            "workflows",
            "k" * 251,
            f"'{'k' * 59}…': '{'k' * 39}…' (251 characters) is too long for part of a workflow key",
        ),
        ("pending", "../p", "'../p': '..' cannot be part of a workflow key"),
    ],
    ids=[
        "a path out of the folder",
        "absolute",
        "an empty part",
        "a newline",
        "too long",
        "pending",
    ],
)
def test_a_key_that_no_workflow_file_can_have_is_damage(
    records: str, key: str, message: str
) -> None:
    raw = _pending_raw()
    raw[records][key] = raw[records].pop("k" if records == "workflows" else "p")

    with pytest.raises(StateError) as caught:
        parse_lockfile(json.dumps(raw), "onepin-sync.lock")
    assert str(caught.value).startswith(
        f"onepin-sync.lock: damaged lockfile: {records}: key {message}"
    )
    assert str(caught.value).endswith("; restore it from git")


def test_every_field_as_onepin_sync_writes_it_reads_back() -> None:
    """The longest key, an import's applied hash and a pending create: nothing refused."""
    raw = _pending_raw()
    longest = "team/" + "k" * 250
    raw["workflows"][longest] = raw["workflows"].pop("k")
    raw["workflows"][longest]["applied_hash"] = NEVER_APPLIED
    raw["serial"] = 0

    state = parse_lockfile(json.dumps(raw), "onepin-sync.lock")

    assert state.workflows[longest].applied_hash == NEVER_APPLIED
    assert json.loads(lockfile_text(state)) == raw
