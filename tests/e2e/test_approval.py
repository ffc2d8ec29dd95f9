"""Interactive approval: in a terminal, `apply` shows the plan, asks, and only `yes` proceeds.

The CLI runs as a real subprocess on a pseudo-terminal, so stdin is a TTY exactly as for a user.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.support import recorded, tiny_workflow, writes
from tests.sync_project import SyncProject

CLI = Path(sys.executable).parent / "onepin-sync"
PROMPT = b"Enter a value:"
TIMEOUT = 15.0


def _apply_in_a_terminal(project: SyncProject, answer: str) -> tuple[int, str]:
    """Run `onepin-sync apply` on a pty, type `answer` at the prompt; (exit code, output)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(CLI), "apply", *project.target_args()],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=project.root,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    answered = False
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if not answered and PROMPT in output:
                os.write(controller, answer.encode() + b"\n")
                answered = True
        code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    assert answered, output.decode(errors="replace")
    return code, output.decode(errors="replace").replace("\r\n", "\n")


def test_apply_in_a_terminal_asks_and_yes_applies(project: SyncProject) -> None:
    project.write("greeting", tiny_workflow("Greeting"))

    with recorded(project.workspace) as sent:
        code, output = _apply_in_a_terminal(project, "yes")

    assert code == 0, output
    assert "Plan: 1 to create, 0 to update, 0 to delete." in output
    assert "Apply these changes? Only 'yes' will be accepted" in output
    assert "Apply complete: 1 created, 0 updated, 0 deleted." in output
    # plan listing, the re-check listing after the pause for the answer, the write, verification
    assert [r.method for r in sent] == ["GET", "GET", "POST", "GET"]
    assert list(project.lock_entries()) == ["greeting"]


@pytest.mark.parametrize("answer", ["no", "y", "YES", ""])
def test_apply_in_a_terminal_does_nothing_unless_the_answer_is_yes(
    project: SyncProject, answer: str
) -> None:
    project.write("greeting", tiny_workflow("Greeting"))

    with recorded(project.workspace) as sent:
        code, output = _apply_in_a_terminal(project, answer)

    assert code == 1, output
    assert "Apply cancelled: nothing was changed." in output
    assert writes(sent) == []
    assert not project.lockfile.exists()
