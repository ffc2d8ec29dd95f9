"""Progress on a terminal: a bar (done/total, rate, ETA) for listing and applying, a spinner
while waiting for the state lock, drawn by rich on stderr, each after `delay` seconds of work
(see `progress.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from onepin_sync.views.progress import DEFAULT_DELAY, Bar, after_delay


class _RateColumn(ProgressColumn):
    """Items per second, once rich has measured it."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="cyan")


class ProgressDisplay:
    """Bars and spinners on `console` (stderr), each shown after `delay` seconds of work."""

    def __init__(self, console: Console, delay: float = DEFAULT_DELAY) -> None:
        self._console = console
        self._delay = delay

    @contextmanager
    def bar(self, description: str, total: int) -> Iterator[Bar]:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
        )
        task = progress.add_task(description, total=total)
        try:
            with after_delay(self._delay, progress.start):
                yield Bar(progress, task)
        finally:
            progress.stop()  # after the timer: it can no longer start the bar

    @contextmanager
    def spinner(self, message: Callable[[], str]) -> Iterator[None]:
        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=self._console, transient=True
        )
        task = progress.add_task("", total=None)

        def show() -> None:
            progress.update(task, description=message())
            progress.start()

        try:
            with after_delay(self._delay, show):
                yield
        finally:
            progress.stop()
