"""The exit codes of onepin-sync, and its error tree; every error carries the code it exits with.

    ExitCode: 0 OK · 1 ERROR · 2 CHANGES (--detailed-exitcode) · 3 INVALID_INPUT · 4 LOCK_HELD ·
              5 CONFLICT · 6 APPLY_INCOMPLETE · 130 INTERRUPTED (and 128+N for signal N)

    OnepinSyncError                 exit 1  any failure we understand
    ├── InputError                  exit 3  the user's input is wrong: usage, config, YAML
    │   └── WorkflowFileError               one or more workflow files are invalid (all problems)
    ├── LockHeldError               exit 4  another run holds the state lock
    ├── ConflictError               exit 5  stale saved plan, or remote and git both changed
    ├── StateError                  exit 1  lockfile or journal is corrupt or from a newer version
    │   └── JournalWriteError               the journal could not record a line: stop writing
    └── ApiError                    exit 1  the Onepin API refused a request or could not be reached
        ├── AuthError                       401 / 403: wrong key, scope or workspace
        ├── NotFoundError                   404
        ├── TransportError                  no (complete) HTTP response: connect, reset, timeout
        └── AmbiguousCreateError            a create was sent but its outcome is unknown

Not errors: exit 2 (changes present), 6 (apply ran, but not every planned change was done) and
128+N (stopped by signal N) are results: each command's outcome carries its `exit_code`. Only
`cli` turns a code into the process exit status and an error into one printed line. Messages
never contain a token or a secret value. This module imports nothing from the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit statuses, stable and documented in the README."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    INVALID_INPUT = 3
    LOCK_HELD = 4
    CONFLICT = 5
    APPLY_INCOMPLETE = 6
    INTERRUPTED = 130

    @staticmethod
    def for_signal(signum: int) -> int:
        """The shell's convention for a process stopped by signal `signum`: 128 + N."""
        return 128 + signum


class OnepinSyncError(Exception):
    """Base class: a failure with a one-line explanation and an exit code."""

    exit_code: ExitCode = ExitCode.ERROR


class InputError(OnepinSyncError):
    """Bad usage, configuration or workflow files; nothing was sent to the API."""

    exit_code = ExitCode.INVALID_INPUT


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one input file, located as precisely as the parser allows."""

    path: str
    line: int | None
    column: int | None
    message: str
    catalogue: bool = False  # an unknown node type or port: a newer server's catalogue may know it

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class WorkflowFileError(InputError):
    """Every problem found across all workflow files (or the project file), reported together."""

    @property
    def only_catalogue(self) -> bool:
        """Whether every problem is a node type or port the checked catalogue lacks."""
        return all(p.catalogue for p in self.problems)

    def __init__(self, problems: list[Problem], where: str = "workflow files") -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in {where}")


class LockHeldError(OnepinSyncError):
    """Another run holds the state lock."""

    exit_code = ExitCode.LOCK_HELD


class ConflictError(OnepinSyncError):
    """A saved plan is stale, or an object changed both in git and remotely."""

    exit_code = ExitCode.CONFLICT


class StateError(OnepinSyncError):
    """The lockfile or journal cannot be trusted (corrupt, newer format, other target)."""


class JournalWriteError(StateError):
    """A journal line was not durably recorded (disk full, I/O error, short write, failed fsync).

    The journal was cut back to its last complete line when possible. Raised for an intent, the
    write it announced must not be sent; the message says what became of the write.
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)


class ApiError(OnepinSyncError):
    """The Onepin API answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.request_id = request_id
        super().__init__(message)


class AuthError(ApiError):
    """401 or 403: the key is wrong, lacks a scope, or belongs to another workspace."""


class NotSentError(ApiError):
    """A request the run never sent: it stopped starting requests (a first Ctrl-C or SIGTERM)
    while this one waited for its turn."""


class NotFoundError(ApiError):
    """404: the workflow does not exist or was deleted."""


class TransportError(ApiError):
    """No complete HTTP response arrived (connect error, reset, timeout)."""


class AmbiguousCreateError(ApiError):
    """A create reached the server, or may have, but no usable answer came back.

    A reset, a read timeout or a 5xx after the POST was sent: the workflow may or may not exist
    now. A 408, 409 or 429 is `answered`: the server finished with the request, so a listing read
    afterwards shows for sure whether it made a workflow, and if not the create may be sent
    again after `retry_after` seconds; `free_resend` when that refusal was a 429 the run's
    deadline leaves time to wait out (it uses up none of the create's sends). `started_at` (the
    server's clock, just before the request was sent) lets the caller look for the workflow it
    may have made instead of making it twice.
    """

    def __init__(
        self,
        message: str,
        *,
        started_at: datetime,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        answered: bool = False,
        retry_after: float | None = None,
        free_resend: bool = False,
    ) -> None:
        self.started_at = started_at
        self.answered = answered
        self.retry_after = retry_after
        self.free_resend = free_resend
        super().__init__(message, status=status, code=code, request_id=request_id)
