"""Progress, as every output needs it: the delay before a bar or spinner shows, `after_delay`,
and `Bar`, the handle the commands advance (`NO_BAR` off a terminal).

Each bar or spinner appears only once the work has lasted `delay` seconds (about one), so a quick
run prints no bar at all; it is drawn on stderr and removed when the work ends, leaving the lines
printed meanwhile (they scroll above it). Off a terminal there is no bar: the commands print plain
lines instead, and a wait for the lock says so in one line once it lasts `delay`. The drawing is
`bars.py`, loaded only on a terminal: importing rich's progress takes 7-8 ms of every start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DEFAULT_DELAY = 1.0


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
