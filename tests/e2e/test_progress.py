"""Progress and verbosity: a bar on a terminal (seen on a pseudo-terminal), plain lines when not
a terminal, a spinner naming the holder while waiting for the state lock, `--quiet` and
`--verbose`, and the global options after the command name.

The pseudo-terminal runs are real processes (`python -m onepin_sync`) against the session's
emulator; `ONEPIN_SYNC_PROGRESS_DELAY=0` shows the bar at once instead of after a second.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

from onepin_sync.state.store import FileStateStore
from tests.e2e.support import seed
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

DONE_LINE = re.compile(r"bulk/wf-\d{4}: created")


def _in_pty(project: SyncProject, *args: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin, stdout and stderr; its exit code and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(project.root),
        "TERM": "xterm-256color",
        "ONEPIN_SYNC_PROGRESS_DELAY": "0",
    }
    argv = [sys.executable, "-m", "onepin_sync", args[0], *project.target_args(), *args[1:]]
    with subprocess.Popen(
        argv, stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=project.root
    ) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    os.close(primary)
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def test_a_terminal_shows_a_bar_instead_of_a_line_per_workflow(project: SyncProject) -> None:
    for n in range(30):
        project.write(f"bulk/wf-{n:04d}", tiny_workflow(f"Bulk {n}"))

    code, shown = _in_pty(project, "apply", "--auto-approve")

    assert code == 0, shown
    assert "Applying" in shown
    assert "30/30" in shown
    assert "ETA" in shown
    assert re.search(r"\d/s", shown)
    assert DONE_LINE.search(shown) is None
    assert "Apply complete: 30 created, 0 updated, 0 deleted." in shown


def test_a_log_gets_one_plain_line_per_workflow_and_no_bar(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPIN_SYNC_PROGRESS_DELAY", "0")
    keys = [f"bulk/wf-{n:04d}" for n in range(3)]
    for key in keys:
        project.write(key, tiny_workflow(key))

    applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert len(DONE_LINE.findall(applied.stdout)) == 3
    assert "Applying" not in applied.output
    assert "\x1b[" not in applied.output


def test_waiting_for_the_lock_names_its_holder(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEPIN_SYNC_PROGRESS_DELAY", "0")
    project.write("alpha", tiny_workflow("Alpha"))
    with FileStateStore(project.lockfile).lock(timeout=0, env={}):
        code, shown = _in_pty(project, "apply", "--auto-approve", "--lock-timeout", "0.5")
        logged = project.run("apply", "--auto-approve", "--lock-timeout", "0.3")

    assert code == 4, shown
    holder = f"Waiting for the state lock held by {_user()}@"
    assert holder in shown
    assert logged.code == 4, logged.output
    assert holder in logged.stderr  # the same, as one plain line


def _user() -> str:
    return getpass.getuser()


def test_quiet_prints_only_the_summaries_and_verbose_the_steps(project: SyncProject) -> None:
    for key in ("alpha", "bravo"):
        project.write(key, tiny_workflow(key))

    quiet = project.run("apply", "--auto-approve", "--quiet")
    project.write("alpha", tiny_workflow("alpha", text="Changed."))
    verbose = project.run("apply", "--auto-approve", "-v")

    assert quiet.code == 0, quiet.output
    assert quiet.stdout == (
        "Plan: 2 to create, 0 to update, 0 to delete.\n"
        "Apply complete: 2 created, 0 updated, 0 deleted.\n"
    )
    assert quiet.stderr == ""
    again = project.run("plan", "-q")
    assert again.stdout == "No changes. The workspace matches the workflow files.\n"
    assert verbose.code == 0, verbose.output
    assert "alpha: updated" in verbose.stdout
    assert re.search(r"Wrote 1 change\(s\) in \d+\.\ds \(1 requests\)", verbose.stderr)


def test_global_options_work_after_the_command_name(project: SyncProject) -> None:
    seed(project, 1)

    after = project.run("plan", "--no-color", "--debug")
    both = project.run("plan", "--quiet", "--verbose")

    assert after.code == 0, after.output
    assert "GET /api/v1/workflows" in after.stderr  # --debug: one line per request
    assert both.code == 3
    assert "--quiet and --verbose exclude each other" in both.stderr
