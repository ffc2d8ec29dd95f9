"""The terminal masks what it must: the run's secrets in every line from the moment it is told
them (and, once it shows a plan, what the workspace holds at secret places), anything shaped like
a credential in every stderr line, and the server's validation findings by the outcome's own
redactor."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import sys
import termios

import pytest

from onepin_sync.api.client import BlockedReason, ValidationIssue, ValidationReport
from onepin_sync.commands.validate import ValidateOutcome
from onepin_sync.core.models import Action, Change, Plan, Reason
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ChangeResult, ChangeStatus
from onepin_sync.errors import InputError
from onepin_sync.views.console import ConsoleUi, print_error
from onepin_sync.views.reports import validate_report
from tests.core.builders import spec

SECRET = "vt-7Qz93LxPmW"
KEY = "op_live_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"


def test_debug_lines_are_masked_as_soon_as_the_ui_has_the_redactor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ui = ConsoleUi(no_color=True)
    ui.set_redactor(Redactor([SECRET]))

    ui.debug(f"GET /api/v1/workflows/{SECRET} -> 404 (3 ms)")
    ui.warn(f"interrupted apply: Hotline {SECRET} had completed")
    ui.info(f"Imported Hotline {SECRET}")

    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert captured.err == (
        "GET /api/v1/workflows/(sensitive) -> 404 (3 ms)\n"
        "Warning: interrupted apply: Hotline (sensitive) had completed\n"
    )
    assert captured.out == "Imported Hotline (sensitive)\n"


def test_error_lines_mask_anything_shaped_like_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleUi(no_color=True).error(f"workflows folder {KEY} does not exist")
    print_error(InputError(f"unknown environment {KEY!r}"), no_color=True)

    assert capsys.readouterr().err == (
        "Error: workflows folder (sensitive) does not exist\n"
        "Error: unknown environment '(sensitive)'\n"
    )


def test_validate_findings_are_masked_by_the_outcome_redactor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = f"voice-{SECRET}"
    report = ValidationReport(
        valid=False,
        errors=(ValidationIssue("missing_voice", node, f"{node} has no voice_map"),),
        warnings=(ValidationIssue("cycle", node, f"{node} -> qa -> {node}"),),
        blocked=(BlockedReason("FORBIDDEN", f"plan does not cover {SECRET}"),),
    )
    outcome = ValidateOutcome(1, {"support/hotline": report}, Redactor([SECRET]))

    validate_report(ConsoleUi(no_color=True), outcome)  # a Ui never told the secret

    err = capsys.readouterr().err
    assert SECRET not in err
    assert err == (
        "Error: support/hotline: node voice-(sensitive) missing_voice: voice-(sensitive) has no "
        "voice_map\n"
        "Warning: support/hotline: node voice-(sensitive) cycle: voice-(sensitive) -> qa -> "
        "voice-(sensitive)\n"
        "Warning: support/hotline: blocked FORBIDDEN: plan does not cover (sensitive)\n"
        "Error: 1 of 1 workflows are invalid.\n"
    )


def test_progress_lines_mask_what_the_workspace_holds_where_a_removed_file_put_a_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    held = spec(name=f"Hotline {SECRET}")  # its file is gone: no current value to mask
    delete = Change(
        key="support/hotline",
        action=Action.DELETE,
        reason=Reason.REMOVED_FROM_CONFIG,
        remote_id="id-1",
        before=held,
    )
    redactor = Redactor(paths={delete.key: [("name",)]}).learning([(delete.key, held.model_dump())])
    ui = ConsoleUi(no_color=True)

    ui.show_plan(Plan(changes=(delete,), lineage="l", serial=1), redactor)
    message = f"ApiError 409: workflow 'Hotline {SECRET}' is in use"
    ui.progress(
        ChangeResult(
            key=delete.key, action=Action.DELETE, status=ChangeStatus.FAILED, detail=message
        )
    )

    out = capsys.readouterr().out
    assert SECRET not in out
    assert '- support/hotline  "(sensitive)"  id=id-1' in out
    assert out.endswith("support/hotline: failed: ApiError 409: workflow '(sensitive)' is in use\n")


def test_a_listing_shows_a_bar_on_a_terminal_only_while_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    with os.fdopen(secondary, "w", encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)  # a pseudo-terminal as stderr
        monkeypatch.delenv("NO_COLOR", raising=False)
        ui = ConsoleUi(progress_delay=0)
        ui.listed(100, 250)
        ui.listed(200, 250)
        ui.listed(250, 250)
        ui.listed(100, 100)  # one page: no bar at all
        monkeypatch.undo()
    os.set_blocking(primary, False)
    chunks = []
    while True:  # all that was written: a pseudo-terminal hands it out in pieces
        try:
            chunk = os.read(primary, 65536)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    shown = b"".join(chunks).decode()
    assert shown.count("Listing workflows") >= 1
    assert "250/250" in shown
    assert "/100" not in shown


def test_no_bar_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    ui = ConsoleUi(progress_delay=0)
    with ui.bar("Applying", 3) as bar:
        bar.advance(3)
    ui.listed(100, 250)
    ui.listed(250, 250)
    captured = capsys.readouterr()
    assert captured.out + captured.err == ""
