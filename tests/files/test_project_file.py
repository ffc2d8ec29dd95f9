"""The project file `onepin-sync.yaml`: strict like workflow files, paths relative to its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.errors import InputError, WorkflowFileError
from onepin_sync.files.project import TargetOptions, load_project


def test_paths_in_the_project_file_are_relative_to_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "infra"
    folder.mkdir()
    (folder / "onepin-sync.yaml").write_bytes(
        b"\xef\xbb\xbfworkflows: flows\r\nenvironments:\r\n"
        b"  prod: {workspace: no, lockfile: prod.lock}\r\n"
    )
    options = TargetOptions(config=folder / "onepin-sync.yaml", env_name="prod")

    paths, environment = load_project(options, cwd=tmp_path)

    assert paths.workflows == folder / "flows"
    assert paths.lockfile == folder / "prod.lock"
    assert environment.workspace == "no"  # YAML 1.2: a string, not false


def test_options_win_and_are_relative_to_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "onepin-sync.yaml").write_text("workflows: flows\n")
    options = TargetOptions(workflows=Path("other"), lockfile=Path("x.lock"))
    paths, _ = load_project(options, cwd=tmp_path)
    assert (paths.workflows, paths.lockfile) == (Path("other"), Path("x.lock"))


def test_without_a_project_file_the_defaults_apply(tmp_path: Path) -> None:
    paths, environment = load_project(TargetOptions(), cwd=tmp_path)
    assert (paths.workflows, paths.lockfile) == (
        tmp_path / "workflows",
        tmp_path / "onepin-sync.lock",
    )
    assert environment.api_key_env is None


F = "onepin-sync.yaml"
NAMES_A_FOLDER = "names a folder, not a file (e.g. onepin-sync.lock)"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, f"{F}: cannot read: No such file or directory"),
        ("", f"{F}:1:1: the file is empty: expected a mapping"),
        ("- a\n", f"{F}:1:1: the top level must be a mapping, got a list"),
        ("workflows: a\nworkflows: b\n", f"{F}:2:1: duplicate key 'workflows' (first at line 1)"),
        ("workflow: x\n", f"{F}:1:1: unknown field 'workflow'; did you mean 'workflows'?"),
        ("workflows: 10\n", f"{F}:1:12: workflows: expected a string, got integer 10 — quote it"),
        (
            "environments:\n  prod:\n    base_ur: https://x\n",
            f"{F}:3:5: environments.prod: unknown field 'base_ur'; did you mean 'base_url'?",
        ),
        (
            'workflows: ""\n',
            f"{F}:1:12: workflows: must not be empty (use . for the project file's folder)",
        ),
        ('lockfile: ""\n', f"{F}:1:11: lockfile: must not be empty"),
        *(
            (f"lockfile: {folder!r}\n", f"{F}:1:11: lockfile: {NAMES_A_FOLDER}")
            for folder in (".", "..", "state/", "state/.", "state/..")
        ),
        (
            'environments:\n  prod: {lockfile: ""}\n',
            f"{F}:2:20: environments.prod.lockfile: must not be empty",
        ),
        (
            'environments:\n  prod: {workflows: ""}\n',
            f"{F}:2:21: environments.prod.workflows: must not be empty (use . for the project "
            "file's folder)",
        ),
        (
            'environments:\n  prod: {api_key_env: ""}\n',
            f"{F}:2:23: environments.prod.api_key_env: must not be empty",
        ),
        (
            "environments:\n  prod:\n    base_url: ftp://x\n",
            f"{F}:3:15: environments.prod.base_url: the base URL is not an http(s) URL; it must "
            "start with https:// (like https://api.onepin.ai)",
        ),
        (
            "environments:\n  prod:\n    base_url: http://example.com/v1\n",
            f"{F}:3:15: environments.prod.base_url: base URL 'http://example.com' uses plain "
            "http to a non-loopback host; use https (the API key would travel unencrypted)",
        ),
        (
            "state:\n  url: ftp://x\n",
            f"{F}:2:8: state.url: a state URL starts with one of s3://, gs://, az://, abfs:// "
            "(got 'ftp://x')",
        ),
    ],
)
def test_a_bad_project_file_names_file_line_and_field(
    tmp_path: Path, content: str | None, expected: list[str]
) -> None:
    path = tmp_path / "onepin-sync.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WorkflowFileError) as caught:
        load_project(TargetOptions(config=path), cwd=tmp_path)
    assert [str(p).removeprefix(f"{tmp_path}/") for p in caught.value.problems] == [expected]


def test_a_base_url_of_the_project_file_may_end_in_a_slash_and_be_loopback_http(
    tmp_path: Path,
) -> None:
    (tmp_path / F).write_text(
        "environments:\n  a: {base_url: 'https://api.example.com/'}\n"
        "  b: {base_url: 'http://127.0.0.1:8080'}\n"
    )
    _, environment = load_project(TargetOptions(env_name="b"), cwd=tmp_path)
    assert environment.base_url == "http://127.0.0.1:8080"


def test_an_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "onepin-sync.yaml").write_text("environments: {prod: {}, staging: {}}\n")
    with pytest.raises(InputError, match=r"unknown environment 'qa' \(.*: prod, staging\)"):
        load_project(TargetOptions(env_name="qa"), cwd=tmp_path)
