"""The write-ahead journal (`.onepin-sync/journal.jsonl`, not committed).

Before each write, an intent line is appended and fsynced; after it, an outcome line. The
lockfile is rewritten once at the end of an apply and the journal is then removed, so a journal
found at start-up means an apply was interrupted: its `done` outcomes were not yet recorded in the
lockfile, and its intents without outcome are writes whose fate is unknown (see `recovery.py`).

A line is complete once its newline is on disk. A torn last line (the process or the disk died
mid-append: no newline, or bytes that do not parse) is ignored by `read_journal` and cut off by
the first `append` of a `Journal`, so nothing is ever appended after half a line; a damaged line
anywhere else is refused. An append that fails (an error, a short write, a failed fsync) is cut
back to the last complete line and raises `JournalWriteError`: the caller must not send the write.

`commit` is `append` for concurrent writers on an event loop (group commit): the file is written
and fsynced in a worker thread, and every line committed while one batch is on its way to disk
goes into the next batch, one write and one fsync for all of them. Each caller returns only once
its own line is on disk, so an intent is still durable before its request is sent.

Lines carry keys, ids, names, salted hashes and secret places (`secret_paths`) only: never a
definition, a token or a secret.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import ValidationError

from onepin_sync.core.keys import is_applied_hash, is_hash, is_workflow_id, valid_key
from onepin_sync.core.models import Action, FrozenModel, PendingCreate, StateEntry
from onepin_sync.errors import JournalWriteError, StateError


class JournalBegin(FrozenModel):
    type: Literal["begin"] = "begin"
    lineage: str
    serial: int  # the lockfile serial the apply started from


class JournalIntent(FrozenModel):
    type: Literal["intent"] = "intent"
    op: int
    key: str
    action: Action
    remote_id: str | None = None
    name: str | None = None
    applied_hash: str | None = None
    prevent_destroy: bool = False
    started_at: datetime  # the server's clock (see `OnepinClient.server_now`)
    pending: PendingCreate | None = None  # a create: what the lockfile records if unanswered


class JournalOutcome(FrozenModel):
    type: Literal["outcome"] = "outcome"
    op: int
    ok: bool
    entry: StateEntry | None = None  # the lockfile entry to record (None: forget the key)
    error: str | None = None


JournalLine = JournalBegin | JournalIntent | JournalOutcome


class JournalWriter(Protocol):
    """What an apply writes its journal through: a `Journal` file, or a remote store's."""

    async def commit(self, line: JournalLine) -> None:
        """Record `line` durably; JournalWriteError when it is not (then send no write)."""
        ...

    async def idle(self) -> None:
        """Return once no line is still on its way to storage."""
        ...

    def close(self) -> None: ...


class Journal:
    """Append-only, fsynced journal file; opened lazily on the first write.

    `write` and `fsync` are the low-level calls on the open file descriptor (`os.write`,
    `os.fsync`), injectable so a test can make a write short or fail like a full disk.
    """

    def __init__(
        self,
        path: Path,
        *,
        write: Callable[[int, bytes], int] = os.write,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        self.path = path
        self._write = write
        self._fsync = fsync
        self._handle: int | None = None
        self._size = 0  # bytes of complete lines: where a failed append is cut back to
        self._broken: str | None = None  # why appending can no longer be trusted
        self._queue: list[tuple[JournalLine, bytes, asyncio.Future[None]]] = []  # to commit
        self._flusher: asyncio.Future[None] | None = None  # writing batches while it runs

    def append(self, line: JournalLine) -> None:
        """Append `line` and fsync it; JournalWriteError when it is not durably recorded."""
        try:
            self._write_durably(line_bytes(line))
        except _AppendFailed as failure:
            raise self._error(failure.reason, consequence_of(line)) from None

    async def commit(self, line: JournalLine) -> None:
        """`append`, off the event loop and grouped with the lines other writers commit
        meanwhile; returns once `line` is on disk (JournalWriteError when it is not)."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append((line, line_bytes(line), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await done

    async def idle(self) -> None:
        """Wait until no batch is being written (one whose committer was cancelled included)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        """Write the queued lines batch by batch, each in one write and one fsync.

        Yields once before the first batch: the tasks the loop already has ready (the next
        write, let in as the last one finished) add their lines to it instead of waiting for a
        second fsync behind it.
        """
        await asyncio.sleep(0)
        while self._queue:
            batch, self._queue = self._queue, []
            failure: _AppendFailed | None = None
            try:
                await asyncio.to_thread(self._write_durably, b"".join(d for _, d, _ in batch))
            except _AppendFailed as exc:
                failure = exc
            for line, _, done in batch:
                if done.done():  # its committer was cancelled
                    continue
                if failure is None:
                    done.set_result(None)
                else:
                    done.set_exception(self._error(failure.reason, consequence_of(line)))

    def _write_durably(self, data: bytes) -> None:
        """Append whole lines and fsync them; `_AppendFailed` (cut back) when they are not."""
        if self._broken is not None:
            raise _AppendFailed(f"an earlier append failed: {self._broken}")
        handle = self._open()
        try:
            written = self._write(handle, data)
        except OSError as exc:
            raise self._failed(handle, _reason(exc)) from None
        if written != len(data):
            raise self._failed(handle, f"short write: {written} of {len(data)} bytes written")
        try:
            self._fsync(handle)
        except OSError as exc:
            # After a failed fsync the kernel may drop the unwritten pages: trust no more lines.
            raise self._failed(handle, f"fsync failed: {_reason(exc)}", broken=True) from None
        self._size += len(data)

    def _open(self) -> int:
        """The open descriptor; the first time, after cutting off a torn last line."""
        if self._handle is not None:
            return self._handle
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise _AppendFailed(f"cannot open it: {_reason(exc)}") from None
        try:
            data = self.path.read_bytes()
            _, complete = _parse_lines(data)
            if complete < len(data):
                os.ftruncate(handle, complete)
                self._fsync(handle)
        except (OSError, _DamagedLine) as exc:
            os.close(handle)
            reason = _reason(exc) if isinstance(exc, OSError) else f"{exc}; inspect it"
            raise _AppendFailed(reason) from None
        self._handle, self._size = handle, complete
        return handle

    def _failed(self, handle: int, reason: str, *, broken: bool = False) -> _AppendFailed:
        """Cut the file back to its last complete line; the failure to raise."""
        try:
            os.ftruncate(handle, self._size)
        except OSError as exc:
            broken = True
            reason += (
                f"; cutting off the partial line failed too ({_reason(exc)}), so the journal may "
                "end in a torn line, which the next run ignores"
            )
        if broken:
            self._broken = reason
        return _AppendFailed(reason)

    def _error(self, reason: str, consequence: str) -> JournalWriteError:
        return JournalWriteError(
            f"{self.path}: cannot write the journal ({reason}); {consequence}", path=str(self.path)
        )

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    def remove(self) -> None:
        """Drop the journal once the lockfile holds everything it recorded."""
        self.close()
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> list[JournalLine]:
    """Every complete line of the journal ([] when there is none); see the module docstring."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no folder for one: no journal either
        return []
    except OSError as exc:
        raise StateError(f"{path}: cannot read the journal ({exc})") from None
    try:
        lines, _ = _parse_lines(data)
    except _DamagedLine as exc:
        raise StateError(
            f"{path}:{exc.number}: damaged journal line; inspect it, then delete the file"
        ) from None
    return lines


class _AppendFailed(Exception):
    """Lines were not durably appended (and were cut back); `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def line_bytes(line: JournalLine) -> bytes:
    """One journal line as stored: sorted JSON and a newline."""
    return (json.dumps(line.model_dump(mode="json"), sort_keys=True) + "\n").encode()


def consequence_of(line: JournalLine) -> str:
    """What a failed append of `line` means for the write it belongs to."""
    if isinstance(line, JournalOutcome):
        return "the write was sent, but its outcome is not recorded (the next run looks it up)"
    return "nothing was sent for this write"


class _DamagedLine(Exception):
    """Line `number` (1-based) is damaged and is not the last: the journal cannot be trusted."""

    def __init__(self, number: int) -> None:
        super().__init__(f"line {number} is damaged")
        self.number = number


def _parse_lines(data: bytes) -> tuple[list[JournalLine], int]:
    """The journal's lines, and how many bytes of `data` they take (all but a torn last line).

    The last line is torn when it lacks its newline or does not parse: its append never
    returned, so nothing acted on it (an intent's write was never sent). A damaged line before
    it is corruption, not a crash: `_DamagedLine`, as guessing could record what never happened.
    """
    lines: list[JournalLine] = []
    start = 0
    while start < len(data):
        newline = data.find(b"\n", start)
        end = len(data) if newline == -1 else newline + 1
        try:
            if newline == -1:
                raise ValueError("no newline")
            lines.append(parse_line(data[start:newline]))
        except (ValueError, ValidationError):
            if end == len(data):
                return lines, start
            raise _DamagedLine(len(lines) + 1) from None
        start = end
    return lines, start


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def parse_line(data: bytes) -> JournalLine:
    """One stored journal line; ValueError or ValidationError when it is not one."""
    return _parse(_loads(data))


def _loads(data: bytes) -> object:
    try:
        return json.loads(data)
    except RecursionError:  # nested far deeper than any line: not one
        raise ValueError("nested too deeply") from None


def _parse(raw: object) -> JournalLine:
    """One line's value as a line whose keys, ids and hashes are of the form the lockfile
    takes (`core/keys.py`): settling the journal sends its ids in requests and records its
    entries in the lockfile, so a line with one that is not is as damaged as a line that does
    not parse."""
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    kind = raw.get("type")
    line: JournalLine
    if kind == "begin":
        line = JournalBegin.model_validate(raw)
    elif kind == "intent":
        line = JournalIntent.model_validate(raw)
        _check_intent(line)
    elif kind == "outcome":
        line = JournalOutcome.model_validate(raw)
        if line.entry is not None:
            _check_entry(line.entry)
    else:
        raise ValueError(f"unknown journal line type {kind!r}")
    return line


def _check_intent(intent: JournalIntent) -> None:
    if not valid_key(intent.key):
        raise ValueError("not a workflow key")
    if intent.remote_id is not None and not is_workflow_id(intent.remote_id):
        raise ValueError("not a workflow id")
    if intent.applied_hash is not None and not is_applied_hash(intent.applied_hash):
        raise ValueError("not an applied hash")
    pending = intent.pending
    if pending is not None and not (
        is_hash(pending.name_hash)
        and is_hash(pending.structure)
        and is_applied_hash(pending.applied_hash)
    ):
        raise ValueError("not the hashes of a pending create")


def _check_entry(entry: StateEntry) -> None:
    hashes = (entry.remote_hash, entry.file_hash, entry.listed_hash)
    if not (
        is_workflow_id(entry.id)
        and is_applied_hash(entry.applied_hash)
        and all(h is None or is_hash(h) for h in hashes)
    ):
        raise ValueError("not the id and hashes of a lockfile entry")


def with_outcomes(
    lines: list[JournalLine],
) -> Iterator[tuple[JournalIntent, JournalOutcome | None]]:
    """Each intent with its outcome (None when the outcome never got written)."""
    outcomes = {line.op: line for line in lines if isinstance(line, JournalOutcome)}
    for line in lines:
        if isinstance(line, JournalIntent):
            yield line, outcomes.get(line.op)
