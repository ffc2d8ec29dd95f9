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
from collections.abc import Callable
from pathlib import Path

import pytest
from onepin import OnePinClient

from tests.e2e.support import first_calls, recorded, writes
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

CLI = Path(sys.executable).parent / "onepin-sync"
PROMPT = b"Enter a value:"
TIMEOUT = 15.0


def _apply_in_a_terminal(
    project: SyncProject, answer: str, before_answer: Callable[[], object] = lambda: None
) -> tuple[int, str]:
    """Run `onepin-sync apply` on a pty, type `answer` at the prompt (after calling
    `before_answer`); returns the exit code and everything the terminal showed."""
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
                before_answer()
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
    # whoami with the plan listing, the re-check listing after the pause for the answer, the
    # write, the verification listing
    assert first_calls(sent, 1)
    assert [r.method for r in sent[3:]] == ["GET", "POST", "GET"]
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


def test_a_remote_edit_while_apply_waits_for_the_answer_is_refused_after_yes(
    project: SyncProject, sdk: OnePinClient
) -> None:
    project.write("greeting", tiny_workflow("Greeting"))
    assert project.run("apply", "--auto-approve").code == 0
    workflow_id = project.lock_entries()["greeting"]["id"]
    project.write("greeting", {**tiny_workflow("Greeting"), "description": "Edited in git."})

    with recorded(project.workspace) as sent:
        code, output = _apply_in_a_terminal(
            project,
            "yes",
            before_answer=lambda: sdk.workflows.patch_workflow(workflow_id, name="Renamed"),
        )

    assert code == 5, output
    assert "the workspace changed since the plan; nothing was written" in output
    assert [(r.method, r.path, r.body_keys) for r in writes(sent)] == [
        ("PATCH", f"/api/v1/workflows/{workflow_id}", ["name"])  # the SDK's, nothing from us
    ]
