"""A file exactly as last applied is kept from its bytes, without being parsed (`core/settled.py`,
`AppliedFiles.unchanged`): only while its bytes and the values its placeholders take are those
its lockfile entry recorded; anything else is loaded and checked as usual."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onepin_sync.core.catalog import Catalogue
from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint
from onepin_sync.core.models import DesiredState, RemoteWorkflow, StateFile
from onepin_sync.core.settled import AppliedFiles, desired_file_hash
from onepin_sync.core.transitions import entry_for
from onepin_sync.errors import WorkflowFileError
from onepin_sync.files.loader import load_workflows
from tests.files.folders import write_tree

KEY = "support/hotline"
HOTLINE = """\
name: Hotline ${env.REGION}
definition:
  graph:
    nodes:
      - id: script
        type: source_script
        config: {script_text: "Call us"}
      - id: voice
        type: operator_generator
        config: {api_token: "${secret.TTS_TOKEN}"}
    edges:
      - {id: e1, source: script, sourcePort: lines, target: voice, targetPort: lines}
"""
ENV = {"REGION": "EU", "TTS_TOKEN": "tts-Qx81"}
NO_NODE_TYPES = Catalogue({}, "a catalogue that knows no node type")


def _applied(folder: Path, env: Mapping[str, str] = ENV) -> StateFile:
    """The lockfile an apply of the folder's one file leaves (as the executor records it)."""
    wanted = load_workflows(folder, env=env).workflows[KEY]
    rules = IgnoreRules.of(wanted.ignore_changes)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    remote = RemoteWorkflow(id="wf-1", **wanted.spec.to_api(), created_at=now, updated_at=now)
    entry = entry_for(
        remote,
        desired_fingerprint(wanted.spec, "salt", rules),
        "salt",
        wanted.lifecycle.prevent_destroy,
        secret_paths=wanted.secret_paths,
        ignore=rules,
        destroy=wanted.lifecycle.destroy,
        file_hash=desired_file_hash(wanted, "salt"),
        variables=wanted.variables,
    )
    return StateFile(lineage="l", salt="salt", api_url="https://api", workflows={KEY: entry})


def _lean(folder: Path, state: StateFile, **kw: object) -> DesiredState:
    env: Mapping[str, str] = kw.pop("env", ENV)  # type: ignore[assignment]
    return load_workflows(folder, env=env, applied=AppliedFiles(state), **kw)  # type: ignore[arg-type]


def _parsed(folder: Path, state: StateFile, env: Mapping[str, str] = ENV) -> bool:
    """Whether a lean load parses and checks the file: a catalogue that knows no node type
    refuses it then, and only then."""
    try:
        _lean(folder, state, env=env, catalogue=NO_NODE_TYPES)
    except WorkflowFileError as exc:
        problems = exc.problems
    else:
        return False
    assert all("unknown node type" in p.message for p in problems), problems
    return True


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "workflows", {f"{KEY}.yaml": HOTLINE})


def test_an_unchanged_file_is_kept_from_its_bytes_with_what_it_references(folder: Path) -> None:
    state = _applied(folder)
    entry = state.workflows[KEY]

    assert not _parsed(folder, state)  # so not checked either: `validate` checks every file
    desired = _lean(folder, state)

    assert not desired.workflows
    file = desired.applied[KEY]
    assert (file.applied_hash, file.file_hash) == (entry.applied_hash, entry.file_hash)
    assert file.variables == ("env.REGION", "secret.TTS_TOKEN")
    assert file.ignore_changes == entry.ignore_changes != ()  # its nodes have no position
    assert file.secret_paths == entry.secret_paths != ()
    assert desired.secret_values == {"tts-Qx81"}  # masked in every output, as if it was read
    assert desired.references == {("env", "REGION"), ("secret", "TTS_TOKEN")}


def test_line_endings_and_a_byte_order_mark_do_not_make_a_file_changed(folder: Path) -> None:
    state = _applied(folder)
    path = folder / f"{KEY}.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HOTLINE.replace("\n", "\r\n").encode())

    assert not _parsed(folder, state)
    assert set(_lean(folder, state).applied) == {KEY}


@pytest.mark.parametrize(
    "env",
    [{**ENV, "REGION": "US"}, {**ENV, "TTS_TOKEN": "tts-rotated"}],
    ids=["another env value", "a rotated secret"],
)
def test_another_value_of_a_placeholder_has_the_file_loaded_and_checked(
    folder: Path, env: dict[str, str]
) -> None:
    state = _applied(folder)

    assert _parsed(folder, state, env)
    assert set(_lean(folder, state, env=env).workflows) == {KEY}  # its spec changed


def test_an_unset_variable_is_reported_as_in_any_file(folder: Path) -> None:
    state = _applied(folder)

    with pytest.raises(WorkflowFileError) as refused:
        _lean(folder, state, env={"TTS_TOKEN": "tts-Qx81"})
    (problem,) = refused.value.problems
    assert (problem.line, problem.message) == (
        1,
        "'${env.REGION}': environment variable REGION is not set",
    )


def test_an_edit_that_changes_no_spec_is_loaded_and_kept_with_its_new_bytes(folder: Path) -> None:
    state = _applied(folder)
    (folder / f"{KEY}.yaml").write_text("# reviewed\n" + HOTLINE, encoding="utf-8")

    assert _parsed(folder, state)
    file = _lean(folder, state).applied[KEY]  # loaded, then found as applied
    assert file.applied_hash == state.workflows[KEY].applied_hash
    assert file.file_hash not in (None, state.workflows[KEY].file_hash)  # what a refresh records


@pytest.mark.parametrize(
    "entry_change",
    [{"file_hash": None}, {"accepted_remote": True}],
    ids=["an entry that records no file", "an entry that accepted a remote change"],
)
def test_an_entry_that_does_not_vouch_for_the_file_has_it_loaded(
    folder: Path, entry_change: dict[str, object]
) -> None:
    state = _applied(folder)
    entry = state.workflows[KEY].model_copy(update=entry_change)
    state = state.model_copy(update={"workflows": {KEY: entry}})

    assert _parsed(folder, state)


def test_a_lockfile_of_another_lineage_does_not_vouch_for_the_file(folder: Path) -> None:
    state = _applied(folder).model_copy(update={"salt": "another salt"})

    assert _parsed(folder, state)
