"""The state lock: one apply at a time per lockfile.

An exclusive `flock` on a file in `.onepin-sync/` next to the lockfile. The kernel releases it when
the holder dies, so a killed run never leaves a stale lock behind; the file records who holds it
(lock id, user, host, pid, CI job URL, time) so a waiting run can say whom it waits for.
`force-unlock ID` removes the file of a holder that is stuck but alive: the next run then locks a
fresh file. Waiting uses an injectable sleep and clock. A lock that cannot be made (a read-only
checkout) stops the run before it reads or writes anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from onepin_sync.errors import InputError, LockHeldError, StateError

_POLL_SECONDS = 0.2
_CI_URL_VARIABLES = ("CI_JOB_URL", "BUILD_URL")


def ci_job_url(env: Mapping[str, str]) -> str | None:
    """The URL of the CI job running us, when the CI exposes one."""
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return next((env[name] for name in _CI_URL_VARIABLES if env.get(name)), None)


class StateLock:
    """Context manager holding the exclusive lock at `path` while it is open."""

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = 0.0,
        env: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.lock_id = str(uuid.uuid4())
        self._env = dict(os.environ if env is None else env)
        self._sleep = sleep
        self._clock = clock
        self._fd: int | None = None

    def __enter__(self) -> StateLock:
        deadline = self._clock() + self.timeout
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if self._clock() >= deadline:
                    raise LockHeldError(self._held_message()) from None
                self._sleep(_POLL_SECONDS)
                continue
            if self._still_linked(fd):
                break
            os.close(fd)  # force-unlocked under us: lock the new file instead
        self._fd = fd
        info = holder_info(self.lock_id, self._env)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info, sort_keys=True) + "\n").encode(), 0)
        os.fsync(fd)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # releases the flock
        self._fd = None

    def _open(self) -> int:
        """The lock file, opened (and made, with its folder); a folder that cannot be written
        (a read-only checkout) is StateError: a run that writes cannot start there."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateError(
                f"{exc.filename or self.path}: cannot take the state lock "
                f"({exc.strerror or exc}); a command that writes needs {self.path.parent} to be "
                "writable. Nothing was written"
            ) from None

    def _still_linked(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _held_message(self) -> str:
        return held_message(read_lock_info(self.path), str(self.path))


def holder_info(lock_id: str, env: Mapping[str, str]) -> dict[str, object]:
    """What a lock records about its holder: lock id, user, host, pid, CI job URL and time."""
    return {
        "id": lock_id,
        "who": _user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "ci_job_url": ci_job_url(env),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def held_message(info: Mapping[str, object], where: str) -> str:
    """The refusal of a run that could not take the lock `info` describes (held at `where`)."""
    if not info:
        return f"the state lock {where} is held by another run"
    holder = f"{info.get('who')}@{info.get('host')} (pid {info.get('pid')})"
    message = (
        f"the state lock is held by {holder} since {info.get('created_at')}, "
        f"lock id {info.get('id')}"
    )
    if info.get("ci_job_url"):
        message += f", CI job {info['ci_job_url']}"
    return message + (
        "; wait for it (--lock-timeout) or, if it is stuck, run "
        f"`onepin-sync force-unlock {info.get('id')}`"
    )


def read_lock_info(path: Path) -> dict[str, object]:
    """What the lock file says about its holder ({} when unreadable or empty)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError, RecursionError):
        return {}
    return info if isinstance(info, dict) else {}


def live_holder(path: Path) -> dict[str, object] | None:
    """The holder the lock file names, if it is a live process on this host.

    Reads the file without locking it, so asking never delays an apply that is starting; a
    recycled pid can make this answer wrongly yes, which callers only use to skip work.
    """
    info = read_lock_info(path)
    return info if alive_here(info) else None


def alive_here(info: Mapping[str, object]) -> bool:
    """Whether the holder `info` names is a live process on this host."""
    pid = info.get("pid")
    if info.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    return True


def force_unlock(path: Path, lock_id: str) -> None:
    """Remove the lock of the holder with `lock_id`; refuses any other id."""
    check_unlock(read_lock_info(path), str(path), lock_id)
    path.unlink(missing_ok=True)


def check_unlock(info: Mapping[str, object], where: str, lock_id: str) -> None:
    """Refuse to force-unlock `where` unless `lock_id` is its holder's (InputError)."""
    if not info:
        raise InputError(f"no run holds the state lock {where}")
    if info.get("id") != lock_id:
        raise InputError(f"lock id {lock_id} does not match the holder's lock id {info.get('id')}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
