"""Every command explains itself: full sentences and examples in `--help`, uncut summaries in the
root command list; `schema` prints the shipped JSON Schema; `completion` scripts complete in a
real shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from onepin_sync.cli import cli
from tests.sync_project import run_cli

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


ROOT = click.Context(cli, info_name="onepin-sync")


def subcommands(group: click.Group) -> Iterator[tuple[str, click.Command]]:
    """Every subcommand, lazy ones (loaded here) included."""
    for name in group.list_commands(ROOT):
        command = group.get_command(ROOT, name)
        assert command is not None, name
        yield name, command


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in subcommands(group):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


ALL_COMMANDS = list(commands(cli))


def test_the_root_command_list_shows_every_summary_whole() -> None:
    shown = run_cli(["--help"])
    assert shown.code == 0
    listing = shown.stdout.split("\nCommands:\n", 1)[1]
    assert "..." not in listing
    for name, command in subcommands(cli):
        summary = command.get_short_help_str(limit=1000)
        assert summary.endswith("."), name
        assert " ".join(summary.split()) in " ".join(listing.split()), name


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
def test_every_command_help_has_sentences_and_examples(path: tuple[str, ...]) -> None:
    shown = run_cli([*path, "--help"])
    assert shown.code == 0, shown.output
    description = shown.stdout.split("\n\n", 2)[1].strip()
    assert description.endswith("."), description
    examples = shown.stdout.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples, shown.stdout
    prefix = f"onepin-sync {path[0]}" if path[0] != "completion" else "onepin-sync completion"
    assert any(line.strip().startswith(prefix) for line in examples), examples


def test_the_root_help_has_examples() -> None:
    shown = run_cli(["--help"])
    assert "Examples:\n    onepin-sync init" in shown.stdout


def test_schema_prints_the_json_schema_the_repository_ships() -> None:
    shown = run_cli(["schema"])
    assert (shown.code, shown.stderr) == (0, "")
    committed = (REPO / "schemas" / "workflow.schema.json").read_text(encoding="utf-8")
    assert shown.stdout == committed


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_completion_completes_a_partial_command_in_bash() -> None:
    script = run_cli(["completion", "bash"])
    assert script.code == 0, script.output
    complete = (
        'eval "$COMPLETION_SCRIPT"\n'
        "COMP_WORDS=(onepin-sync p); COMP_CWORD=1; _onepin_sync_completion onepin-sync\n"
        'echo "${COMPREPLY[*]}"\n'
    )  # bash runs the script as printed; it asks onepin-sync (on PATH) for the candidates
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "COMPLETION_SCRIPT": script.stdout}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", complete],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "plan pull\n"


@pytest.mark.parametrize(("shell", "line"), [
    ("zsh", "#compdef onepin-sync"), ("fish", "function _onepin_sync_completion;"),
])  # fmt: skip
def test_zsh_and_fish_get_their_own_scripts(shell: str, line: str) -> None:
    script = run_cli(["completion", shell])
    assert script.code == 0, script.output
    assert line in script.stdout.splitlines()
    assert "_ONEPIN_SYNC_COMPLETE=" in script.stdout


def test_completion_refuses_an_unknown_shell() -> None:
    refused = run_cli(["completion", "powershell"])
    assert refused.code == 3
    assert "'powershell' is not one of 'bash', 'zsh', 'fish'" in refused.stderr
