"""The terminal: a rich console implementing `runcontext.Ui`, plus the end-of-command reports.

Results go to stdout, warnings, errors and --debug lines to stderr. Colour follows the terminal,
`NO_COLOR` and `--no-color`. Every string from the user or the API is printed as plain text.
"""

from __future__ import annotations

import os
import signal
from typing import Literal

import click
from rich.console import Console
from rich.text import Text

from onepin_sync.commands.executor import ChangeResult, Outcome
from onepin_sync.commands.operations import ApplyOutcome, ValidateOutcome
from onepin_sync.core.models import Action, Plan
from onepin_sync.core.redact import Redactor
from onepin_sync.errors import OnepinSyncError, WorkflowFileError
from onepin_sync.views.human import render_plan

_DONE_VERB = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
_OUTCOME_STYLE = {
    Outcome.DONE: "green",
    Outcome.FAILED: "bold red",
    Outcome.SKIPPED: "yellow",
    Outcome.CONFLICT: "bold red",
}
EXIT_APPLY_FAILED = 6


def _console(no_color: bool, *, stderr: bool = False) -> Console:
    """A console that prints no ANSI code at all, styles included, under --no-color or NO_COLOR
    (https://no-color.org); rich alone would drop the colours of NO_COLOR but keep bold and dim."""
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    color: Literal["auto"] | None = None if plain else "auto"
    return Console(color_system=color, highlight=False, soft_wrap=True, stderr=stderr)


class ConsoleUi:
    """`runcontext.Ui` on a rich console."""

    def __init__(self, no_color: bool = False) -> None:
        self.out = _console(no_color)
        self.err = _console(no_color, stderr=True)
        self.redactor = Redactor()

    def warn(self, message: str) -> None:
        self.err.print(Text(f"Warning: {message}", style="yellow"))

    def info(self, message: str) -> None:
        self.out.print(Text(message))

    def debug(self, message: str) -> None:
        self.err.print(Text(self.redactor.text(message), style="dim"))

    def show_plan(self, plan: Plan, redactor: Redactor) -> None:
        self.redactor = redactor
        render_plan(plan, self.out, redactor)

    def confirm(self, question: str) -> bool:
        self.out.print(Text(f"\n{question}", style="bold"))
        answer: str = click.prompt("  Enter a value", default="", show_default=False)
        return answer.strip() == "yes"

    def progress(self, result: ChangeResult) -> None:
        line = Text(f"{result.key}: ", style="bold")
        if result.outcome is Outcome.DONE:
            line.append(_DONE_VERB[result.action], style="green")
            if result.remote_id:
                line.append(f" (id={result.remote_id})", style="dim")
        else:
            line.append(result.outcome.value, style=_OUTCOME_STYLE[result.outcome])
        if result.detail:
            line.append(f": {self.redactor.text(result.detail)}")
        self.out.print(line)

    @staticmethod
    def print_error(exc: OnepinSyncError, no_color: bool = False) -> None:
        err = _console(no_color, stderr=True)
        if isinstance(exc, WorkflowFileError):
            for problem in exc.problems:
                err.print(Text(f"Error: {problem}"))
        err.print(Text(f"Error: {exc}", style="bold red"))


def print_validate_outcome(ui: ConsoleUi, outcome: ValidateOutcome) -> None:
    noun = "file" if outcome.workflows == 1 else "files"
    for key, report in sorted(outcome.reports.items()):
        for issue in report.errors:
            where = f" node {issue.node_id}" if issue.node_id else ""
            ui.err.print(Text(f"Error: {key}:{where} {issue.rule}: {issue.message}", style="red"))
        for issue in report.warnings:
            where = f" node {issue.node_id}" if issue.node_id else ""
            ui.warn(f"{key}:{where} {issue.rule}: {issue.message}")
        for blocked in report.blocked:
            ui.warn(f"{key}: blocked {blocked.code}: {blocked.message}")
    if outcome.valid:
        checked = " (checked online)" if outcome.reports else ""
        ui.info(f"Success: {outcome.workflows} workflow {noun} valid{checked}.")
    else:
        invalid = sum(1 for r in outcome.reports.values() if not r.valid)
        ui.err.print(
            Text(
                f"Error: {invalid} of {outcome.workflows} workflows are invalid.", style="bold red"
            )
        )


def print_apply_outcome(ui: ConsoleUi, outcome: ApplyOutcome) -> int:
    """The closing lines of apply; returns the exit code."""
    if not outcome.approved:
        ui.err.print(Text("Apply cancelled: nothing was changed.", style="bold"))
        return 1
    result = outcome.result
    if result is None:
        return 0
    if not outcome.plan.has_changes:
        ui.info("Lockfile refreshed; no API writes were needed.")
        return 0
    counts = dict.fromkeys(Action, 0)
    for r in result.results:
        if r.outcome is Outcome.DONE:
            counts[r.action] += 1
    done = (
        f"{counts[Action.CREATE]} created, {counts[Action.UPDATE]} updated, "
        f"{counts[Action.DELETE]} deleted"
    )
    if outcome.interrupted_by is not None:
        name = signal.Signals(outcome.interrupted_by).name
        ui.err.print(
            Text(
                f"\nInterrupted by {name}: {done}; writes in flight finished, the rest were "
                "skipped. The lockfile records what was done; run apply again to finish.",
                style="bold red",
            )
        )
        return 128 + outcome.interrupted_by
    if not result.complete:
        not_done = ", ".join(
            f"{result.count(o)} {o.value}"
            for o in Outcome
            if o is not Outcome.DONE and result.count(o)
        )
        ui.err.print(Text(f"\nApply incomplete: {done}; {not_done}.", style="bold red"))
        return EXIT_APPLY_FAILED
    ui.out.print(Text(f"\nApply complete: {done}.", style="bold green"))
    if outcome.leftover is not None:
        ui.warn(
            f"verification: a fresh plan still shows {len(outcome.leftover.changes)} change(s) "
            "after apply; the server rewrote something onepin-sync does not normalise "
            "(please report it): " + ", ".join(c.key for c in outcome.leftover.changes)
        )
    else:
        ui.info("Verified: a fresh plan shows no changes.")
    return 0
