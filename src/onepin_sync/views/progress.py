"""Progress on a terminal: a bar (done/total, rate, ETA) for listing and applying, a spinner
while waiting for the state lock.

Each appears only once the work has lasted `delay` seconds (about one), so a quick run prints
no bar at all; it is drawn on stderr and removed when the work ends, leaving the lines printed
meanwhile (they scroll above it). Off a terminal there is no bar: the commands print plain
lines instead, and a wait for the lock says so in one line once it lasts `delay`.
"""

from __future__ import annotations

import threading
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
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

DEFAULT_DELAY = 1.0


class _RateColumn(ProgressColumn):
    """Items per second, once rich has measured it."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="cyan")


class Bar:
    """One task's bar; `advance` and `update` are cheap whether or not it is drawn yet."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def update(self, *, completed: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=completed, total=total)


NO_BAR = Bar(None, None)


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


@contextmanager
def after_delay(delay: float, action: Callable[[], None]) -> Iterator[None]:
    """Run `action` once, `delay` seconds from now, unless the block ends first (at once, in
    this thread, for no delay)."""
    if delay <= 0:
        action()
        yield
        return
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()  # an action already running finishes before the block's cleanup
