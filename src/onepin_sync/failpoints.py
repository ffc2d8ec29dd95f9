"""Failpoints: a test hook that kills the process at one exact step, for the crash tests.

    ONEPIN_SYNC_FAILPOINT=write.after_response:2 onepin-sync apply --auto-approve

The console entry point (`cli.main`, also `python -m onepin_sync`) reads the variable once at
start; `cli.run`, which tests call in-process, never does. `failpoint(name)` is a no-op unless
`name` is the armed one; the `nth` time it is reached (1 when not given) the process sends itself
SIGKILL: no handler, `finally` block or flush runs, exactly like a power cut or `kill -9`.

    write.before_intent      a write is about to be journalled (nothing recorded yet)
    write.before_request     its intent is fsynced, the request not sent
    write.after_response     the server answered, the outcome not journalled
    lockfile.before_replace  the new lockfile is written and fsynced to its temporary file, the
                             `os.replace` over the old one has not happened

Process-wide state on purpose (one armed failpoint per process); it can only end the process
early, never change what a run does. Imports the standard library and `errors` only.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

from onepin_sync.errors import InputError

ENVIRONMENT_VARIABLE = "ONEPIN_SYNC_FAILPOINT"
NAMES = frozenset(
    {
        "write.before_intent",
        "write.before_request",
        "write.after_response",
        "lockfile.before_replace",
    }
)

_armed: str | None = None
_remaining = 0


def arm_from_environment(environ: Mapping[str, str]) -> None:
    """Arm the failpoint `ONEPIN_SYNC_FAILPOINT` names (`name` or `name:nth`), if any."""
    global _armed, _remaining
    spec = environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name not in NAMES or not (nth == "" or (nth.isdigit() and int(nth) >= 1)):
        known = ", ".join(sorted(NAMES))
        raise InputError(
            f"{ENVIRONMENT_VARIABLE}={spec!r}: expected NAME or NAME:N (N >= 1); names: {known}"
        )
    _armed, _remaining = name, int(nth or 1)


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL if `name` is armed and this is its nth hit."""
    global _remaining
    if name != _armed:
        return
    _remaining -= 1
    if _remaining == 0:
        os.kill(os.getpid(), signal.SIGKILL)
