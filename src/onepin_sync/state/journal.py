"""The write-ahead journal (`.onepin-sync/journal.jsonl`, not committed).

Before each write, an intent line is appended and fsynced; after it, an outcome line. The
lockfile is rewritten once at the end of an apply and the journal is then removed, so a journal
found at start-up means an apply was interrupted: its `done` outcomes were not yet recorded in the
lockfile, and its intents without outcome are writes whose fate is unknown (see `recovery.py`).

Lines carry keys, ids, names and salted hashes only: never a definition, a token or a secret.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from onepin_sync.core.models import Action, FrozenModel, PendingCreate, StateEntry
from onepin_sync.errors import StateError


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


class Journal:
    """Append-only, fsynced journal file; opened lazily on the first write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: int | None = None

    def append(self, line: JournalLine) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        data = (json.dumps(line.model_dump(mode="json"), sort_keys=True) + "\n").encode()
        os.write(self._handle, data)
        os.fsync(self._handle)

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None

    def remove(self) -> None:
        """Drop the journal once the lockfile holds everything it recorded."""
        self.close()
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> list[JournalLine]:
    """Every complete line of the journal ([] when there is none).

    A torn last line (the process died mid-append) is ignored: its write had not started, since
    the intent is fsynced before the request is sent.
    """
    try:
        raw_lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StateError(f"{path}: cannot read the journal ({exc})") from None
    lines: list[JournalLine] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            lines.append(_parse(json.loads(raw)))
        except (ValueError, ValidationError):
            if number == len(raw_lines):
                break
            raise StateError(
                f"{path}:{number}: damaged journal line; inspect it, then delete the file"
            ) from None
    return lines


def _parse(raw: object) -> JournalLine:
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    kind = raw.get("type")
    if kind == "begin":
        return JournalBegin.model_validate(raw)
    if kind == "intent":
        return JournalIntent.model_validate(raw)
    if kind == "outcome":
        return JournalOutcome.model_validate(raw)
    raise ValueError(f"unknown journal line type {kind!r}")


def with_outcomes(
    lines: list[JournalLine],
) -> Iterator[tuple[JournalIntent, JournalOutcome | None]]:
    """Each intent with its outcome (None when the outcome never got written)."""
    outcomes = {line.op: line for line in lines if isinstance(line, JournalOutcome)}
    for line in lines:
        if isinstance(line, JournalIntent):
            yield line, outcomes.get(line.op)
