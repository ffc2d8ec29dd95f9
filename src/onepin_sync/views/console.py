"""The terminal: a rich console implementing the commands' `Ui` port, and the one-line errors.

Results go to stdout; warnings, errors and --debug lines to stderr. Colour follows the terminal,
`NO_COLOR` and `--no-color`. Every string from the user or the API is printed as plain text. Every
line passes through the run's `Redactor` (set as soon as the inputs are read), and every stderr
line also through `mask_tokens`, so a key pasted into the wrong option is never printed back.
"""

from __future__ import annotations

import os
from typing import Literal

from rich.console import Console
from rich.text import Text

from onepin_sync.core.models import Action, Plan
from onepin_sync.core.redact import Redactor, mask_tokens
from onepin_sync.core.results import ChangeResult, ChangeStatus
from onepin_sync.errors import OnepinSyncError, WorkflowFileError
from onepin_sync.views.human import print_text, render_plan

_DONE_VERB = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
_STATUS_STYLE = {
    ChangeStatus.DONE: "green",
    ChangeStatus.FAILED: "bold red",
    ChangeStatus.SKIPPED: "yellow",
    ChangeStatus.CONFLICT: "bold red",
}


def make_console(no_color: bool, *, stderr: bool = False) -> Console:
    """A console that prints no ANSI code at all, styles included, under --no-color or NO_COLOR
    (https://no-color.org); rich alone would drop the colours of NO_COLOR but keep bold and dim."""
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    color: Literal["auto"] | None = None if plain else "auto"
    return Console(color_system=color, highlight=False, soft_wrap=True, stderr=stderr)


class ConsoleUi:
    """The commands' `Ui` on a rich console."""

    def __init__(self, no_color: bool = False) -> None:
        self.out = make_console(no_color)
        self.err = make_console(no_color, stderr=True)
        self.redactor = Redactor()

    def set_redactor(self, redactor: Redactor) -> None:
        """Mask `redactor`'s secrets in every line printed from now on."""
        self.redactor = redactor

    def warn(self, message: str) -> None:
        self.err.print(Text(f"Warning: {self._masked(message)}", style="yellow"))

    def info(self, message: str) -> None:
        self.out.print(Text(self.redactor.text(message)))

    def error(self, message: str) -> None:
        self.err.print(Text(f"Error: {self._masked(message)}", style="red"))

    def debug(self, message: str) -> None:
        self.err.print(Text(self._masked(message), style="dim"))

    def _masked(self, message: str) -> str:
        return mask_tokens(self.redactor.text(message))

    def show_plan(self, plan: Plan, redactor: Redactor) -> None:
        self.redactor = redactor
        render_plan(plan, self.out, redactor)

    def confirm(self, question: str) -> bool:
        self.out.print(Text(f"\n{question}", style="bold"))
        try:
            answer = self.out.input("  Enter a value: ")
        except EOFError:
            return False
        return answer.strip() == "yes"

    def progress(self, result: ChangeResult) -> None:
        line = Text(f"{result.key}: ", style="bold")
        if result.status is ChangeStatus.DONE:
            line.append(_DONE_VERB[result.action], style="green")
            if result.remote_id:
                line.append(f" (id={result.remote_id})", style="dim")
        else:
            line.append(result.status.value, style=_STATUS_STYLE[result.status])
        if result.detail:
            line.append(f": {self.redactor.text(result.detail)}")
        print_text(self.out, line)


def print_error(exc: OnepinSyncError, no_color: bool = False) -> None:
    """An error as the one line (per problem) the user sees, on stderr, credentials masked."""
    err = make_console(no_color, stderr=True)
    if isinstance(exc, WorkflowFileError):
        for problem in exc.problems:
            err.print(Text(f"Error: {mask_tokens(str(problem))}"))
    err.print(Text(f"Error: {mask_tokens(str(exc))}", style="bold red"))
