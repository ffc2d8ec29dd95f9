"""Which files are workflows, the key each defines, and what discovery refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from onepin_sync.errors import WorkflowFileError
from tests.files.folders import MINIMAL, load, only_problem, problems, write_tree


def test_keys_are_paths_without_extension_and_files_are_found_recursively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(
        tmp_path / "wf",
        {
            "top.yaml": MINIMAL,
            "support/welcome-call.yaml": MINIMAL,
            "support/billing/payment_reminder.v2.yml": MINIMAL,
            "marketing/Promo.YAML": MINIMAL,
            "README.md": "not a workflow",
            "support/notes.txt": "not a workflow",
        },
    )
    monkeypatch.chdir(tmp_path)
    state = load(Path("wf"))
    assert list(state.workflows) == [
        "marketing/Promo",
        "support/billing/payment_reminder.v2",
        "support/welcome-call",
        "top",
    ]
    assert state.workflows["support/welcome-call"].path == "wf/support/welcome-call.yaml"
    assert state.workflows["support/welcome-call"].key == "support/welcome-call"
    assert state.folder_exists


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    folder = write_tree(
        tmp_path / "wf",
        {
            "a.yaml": MINIMAL,
            ".draft.yaml": "not: [valid",
            ".git/config.yaml": "not: [valid",
            "team/.wip/b.yaml": "not: [valid",
        },
    )
    assert list(load(folder).workflows) == ["a"]


def test_a_missing_folder_is_reported_in_the_state_not_raised(tmp_path: Path) -> None:
    state = load(tmp_path / "nowhere")
    assert state.folder_exists is False
    assert state.workflows == {}


def test_an_empty_folder_exists_and_has_no_workflows(tmp_path: Path) -> None:
    (tmp_path / "wf" / "empty-team").mkdir(parents=True)
    state = load(tmp_path / "wf")
    assert state.folder_exists is True
    assert state.workflows == {}


def test_a_file_in_place_of_the_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "wf").write_text("x")
    with pytest.raises(WorkflowFileError) as caught:
        load(tmp_path / "wf")
    assert [str(p) for p in caught.value.problems] == [f"{tmp_path / 'wf'}: not a folder"]


@pytest.mark.parametrize(
    ("relative", "segment"),
    [
        ("my workflow.yaml", "my workflow"),
        ("team one/a.yaml", "team one"),
        ("café.yaml", "café"),
        ("a+b.yaml", "a+b"),
        ("team/x:y.yaml", "x:y"),
    ],
)
def test_key_segments_must_be_portable(tmp_path: Path, relative: str, segment: str) -> None:
    folder = write_tree(tmp_path / "wf", {relative: MINIMAL})
    assert only_problem(folder) == (
        f"{relative}: {segment!r} cannot be part of a workflow key: "
        "use ASCII letters, digits, '-', '_' and '.' (not first)"
    )


@pytest.mark.parametrize(
    "relative", ["d" * 251 + "/a.yaml", "k" * 251 + ".yml"], ids=["a folder", "a .yml file"]
)
def test_a_key_part_longer_than_a_yaml_file_name_can_be_is_refused(
    tmp_path: Path, relative: str
) -> None:
    """Import, pull and `state rm` name the file `<key>.yaml`: a part of 251 characters and
    `.yaml` make 256, one more than a file name holds."""
    folder = write_tree(tmp_path / "wf", {relative: MINIMAL})
    assert only_problem(folder) == (
        f"{relative}: '{relative[:39]}…' (251 characters) is too long for part of a workflow "
        "key: at most 250, so that its file name (with .yaml) fits in 255 bytes"
    )


def test_the_longest_key_parts_are_keys(tmp_path: Path) -> None:
    longest = "d" * 250 + "/" + "k" * 250
    folder = write_tree(tmp_path / "wf", {f"{longest}.yaml": MINIMAL})
    assert list(load(folder).workflows) == [longest]


def test_a_file_name_that_is_not_utf8_is_refused_in_printable_form(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {})
    try:
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(b"caf\xe9.yaml")).write_text(MINIMAL)
    except (OSError, UnicodeError):  # pragma: no cover - file systems that insist on UTF-8
        pytest.skip("the file system refuses names that are not UTF-8")
    message = only_problem(folder)
    assert message.startswith("caf\\xe9.yaml: 'caf\\xe9' cannot be part of a workflow key")
    message.encode("utf-8")


def test_two_files_for_one_key_are_an_error_naming_both(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"team/a.yaml": MINIMAL, "team/a.yml": MINIMAL})
    assert only_problem(folder) == (
        f"team/a.yml: defines workflow 'team/a' again (also {folder}/team/a.yaml)"
    )


def test_keys_that_differ_only_by_case_are_an_error_naming_both(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"Team/A.yaml": MINIMAL})
    try:
        write_tree(folder, {"team/a.yaml": MINIMAL})
    except OSError:  # pragma: no cover - a case-insensitive file system
        pytest.skip("the file system folds case")
    if len(list(folder.iterdir())) == 1:  # pragma: no cover - a case-insensitive file system
        pytest.skip("the file system folds case")
    assert only_problem(folder) == (
        f"team/a.yaml: workflow key 'team/a' differs from 'Team/A' ({folder}/Team/A.yaml) "
        "only by case"
    )


def test_symlinks_inside_the_folder_are_followed(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"shared/base.yaml": MINIMAL})
    (folder / "alias.yaml").symlink_to(folder / "shared" / "base.yaml")
    (folder / "mirror").symlink_to(folder / "shared", target_is_directory=True)
    assert list(load(folder).workflows) == ["alias", "mirror/base", "shared/base"]


def test_a_symlinked_workflows_folder_is_fine(tmp_path: Path) -> None:
    write_tree(tmp_path / "real", {"a.yaml": MINIMAL})
    (tmp_path / "wf").symlink_to(tmp_path / "real", target_is_directory=True)
    assert list(load(tmp_path / "wf").workflows) == ["a"]


def test_symlinks_leaving_the_folder_are_refused(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.yaml": MINIMAL, "notes.txt": "x"})
    folder = write_tree(tmp_path / "wf", {"ok.yaml": MINIMAL})
    (folder / "stolen.yaml").symlink_to(outside / "secret.yaml")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    (folder / "up.yml").symlink_to(Path("..") / "outside" / "secret.yaml")
    (folder / "notes.txt").symlink_to(outside / "notes.txt")  # never read: ignored
    assert problems(folder) == [
        f"elsewhere: symlink to a folder outside the workflows folder ({outside}); refused",
        f"stolen.yaml: symlink to a file outside the workflows folder ({outside}/secret.yaml);"
        " refused",
        f"up.yml: symlink to a file outside the workflows folder ({outside}/secret.yaml); refused",
    ]


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"team/a.yaml": MINIMAL})
    (folder / "team" / "again").symlink_to(folder / "team", target_is_directory=True)
    assert only_problem(folder) == (
        "team/again: symlink loops back to a folder that contains it; refused"
    )


def test_a_broken_symlink_to_a_workflow_file_is_refused(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": MINIMAL})
    (folder / "gone.yaml").symlink_to(folder / "deleted.yaml")
    assert only_problem(folder) == "gone.yaml: broken symlink"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": MINIMAL})
    os.mkfifo(folder / "pipe.yaml")
    assert only_problem(folder) == "pipe.yaml: not a regular file"
