"""The terminal: a rich console implementing the commands' `Ui` port, and the one-line errors.

Results go to stdout; warnings, errors, --debug and --verbose lines and progress to stderr; with
`machine` (a command's `--json`) stdout holds only the document (`document`) and every other line
goes to stderr. `Verbosity.QUIET` keeps only errors, the plan's summary line and each command's
closing summary; `VERBOSE` adds what each step did. On a terminal, listing and applying show a
progress bar (see `progress.py`) instead of one line per workflow (failures and skips still get
their line; `--verbose` prints every line too); off a terminal every workflow gets its line, the
record a CI log keeps. Colour follows the terminal,
`NO_COLOR` and `--no-color`. Every string from the user or the API is printed as plain text. Every
line passes through the run's `Redactor` (set as soon as the inputs are read), and every stderr
line also through `mask_tokens`, so a key pasted into the wrong option is never printed back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.text import Text

from onepin_sync.core.models import Action, Plan
from onepin_sync.core.redact import Redactor, mask_tokens
from onepin_sync.core.results import ChangeResult, ChangeStatus
from onepin_sync.errors import OnepinSyncError, WorkflowFileError
from onepin_sync.views.human import print_text, render_plan, summary_line
from onepin_sync.views.notes import no_changes_sentence
from onepin_sync.views.progress import DEFAULT_DELAY, NO_BAR, Bar, after_delay

if TYPE_CHECKING:
    from onepin_sync.views.bars import ProgressDisplay

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


class Verbosity(IntEnum):
    QUIET = -1
    NORMAL = 0
    VERBOSE = 1


class ConsoleUi:
    """The commands' `Ui` on a rich console."""

    def __init__(
        self,
        no_color: bool = False,
        *,
        verbosity: Verbosity = Verbosity.NORMAL,
        machine: bool = False,
        progress_delay: float | None = None,
    ) -> None:
        self.err = make_console(no_color, stderr=True)
        self.document = make_console(no_color)  # stdout
        self.out = self.err if machine else self.document
        self.verbosity = verbosity
        self.redactor = Redactor()
        shows_progress = self.err.is_terminal and verbosity is not Verbosity.QUIET
        delay = DEFAULT_DELAY if progress_delay is None else progress_delay
        self._progress: ProgressDisplay | None = None
        if shows_progress:  # rich's progress is loaded only to draw on a terminal
            from onepin_sync.views.bars import ProgressDisplay

            self._progress = ProgressDisplay(self.err, delay)
        self._delay = delay
        self._listing = ExitStack()
        self._listing_bar: Bar | None = None

    def set_redactor(self, redactor: Redactor) -> None:
        """Mask `redactor`'s secrets in every line printed from now on."""
        self.redactor = redactor

    @property
    def quiet(self) -> bool:
        return self.verbosity is Verbosity.QUIET

    def warn(self, message: str) -> None:
        if not self.quiet:
            self.err.print(Text(f"Warning: {self._masked(message)}", style="yellow"))

    def info(self, message: str) -> None:
        if not self.quiet:
            self.out.print(Text(self.redactor.text(message)))

    def detail(self, message: str) -> None:
        """A line for --verbose only."""
        if self.verbosity is Verbosity.VERBOSE:
            self.err.print(Text(self._masked(message), style="dim"))

    def summary(self, message: str, style: str = "") -> None:
        """A command's closing line: printed also under --quiet."""
        self.out.print(Text(self.redactor.text(message), style=style))

    def error(self, message: str) -> None:
        self.err.print(Text(f"Error: {self._masked(message)}", style="red"))

    def debug(self, message: str) -> None:
        self.err.print(Text(self._masked(message), style="dim"))

    def _masked(self, message: str) -> str:
        return mask_tokens(self.redactor.text(message))

    def show_plan(self, plan: Plan, redactor: Redactor) -> None:
        self.redactor = redactor
        if not self.quiet:
            render_plan(plan, self.out, redactor)
        elif plan.has_changes:
            self.out.print(Text(summary_line(plan), style="bold"))
        elif nothing := no_changes_sentence(plan):
            self.out.print(Text(nothing, style="bold"))

    def confirm(self, question: str) -> bool:
        self.out.print(Text(f"\n{question}", style="bold"))
        try:
            answer = self.out.input("  Enter a value: ")
        except EOFError:
            return False
        return answer.strip() == "yes"

    def progress(self, result: ChangeResult) -> None:
        """One change's outcome; a done one is left to the bar on a terminal (or --quiet)."""
        if result.status is ChangeStatus.DONE and (
            self.quiet or (self._progress is not None and self.verbosity < Verbosity.VERBOSE)
        ):
            return
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

    @contextmanager
    def bar(self, description: str, total: int) -> Iterator[Bar]:
        """A progress bar for `total` steps, on a terminal once they last about a second."""
        if self._progress is None:
            yield NO_BAR
            return
        with self._progress.bar(description, total) as bar:
            yield bar

    def listed(self, done: int, total: int) -> None:
        """A listing read `done` of `total` workflows: a bar while it is under way."""
        if self._listing_bar is None and done < total:
            self._listing_bar = self._listing.enter_context(self.bar("Listing workflows", total))
        if self._listing_bar is not None:
            self._listing_bar.update(completed=done, total=total)
            if done >= total:
                self._listing.close()
                self._listing_bar = None

    @contextmanager
    def waiting(self, message: Callable[[], str]) -> Iterator[None]:
        """While waiting for something (the state lock): a spinner saying `message()` on a
        terminal, one line elsewhere, once the wait lasts about a second."""
        if self._progress is not None:
            with self._progress.spinner(lambda: self._masked(message())):
                yield
        elif self.quiet:
            yield
        else:
            with after_delay(self._delay, lambda: self.err.print(Text(self._masked(message())))):
                yield


def print_error(exc: OnepinSyncError, no_color: bool = False) -> None:
    """An error as the one line (per problem) the user sees, on stderr, credentials masked."""
    err = make_console(no_color, stderr=True)
    if isinstance(exc, WorkflowFileError):
        for problem in exc.problems:
            err.print(Text(f"Error: {mask_tokens(str(problem))}"))
    err.print(Text(f"Error: {mask_tokens(str(exc))}", style="bold red"))
