"""The journal records a line durably or says it did not: short writes, a full disk and failed
fsyncs raise `JournalWriteError` and leave only complete lines; a torn last line (a crash
mid-append) is ignored on read and cut off before the next append; damage elsewhere is refused.

The low-level `write` and `fsync` are injected to fail like a real disk would; everything else
(the file, its truncation, reading it back) is real.
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onepin_sync.core.models import Action, StateEntry
from onepin_sync.errors import ExitCode, JournalWriteError, StateError
from onepin_sync.state.journal import (
    Journal,
    JournalBegin,
    JournalIntent,
    JournalLine,
    JournalOutcome,
    read_journal,
)

BEGIN = JournalBegin(lineage="lineage-1", serial=3)
INTENT = JournalIntent(
    op=1, key="support/hotline", action=Action.CREATE, started_at=datetime(2026, 1, 2, tzinfo=UTC)
)
OUTCOME = JournalOutcome(op=1, ok=False, error="ApiError 500")


def half_writer(fd: int, data: bytes) -> int:
    """A disk that takes only half of what it is given (the next call would say ENOSPC)."""
    return os.write(fd, data[: len(data) // 2])


def failing(code: int) -> Callable[..., int]:
    def fail(*_args: object) -> int:
        raise OSError(code, os.strerror(code))

    return fail


def journal_with(path: Path, *lines: JournalLine) -> bytes:
    journal = Journal(path)
    for line in lines:
        journal.append(line)
    journal.close()
    return path.read_bytes()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".onepin-sync" / "journal.jsonl"


def test_lines_round_trip(path: Path) -> None:
    journal_with(path, BEGIN, INTENT, OUTCOME)

    assert read_journal(path) == [BEGIN, INTENT, OUTCOME]


def test_concurrent_commits_share_one_write_and_one_fsync_per_batch(path: Path) -> None:
    """Group commit: lines committed while a batch is on its way to disk form the next batch."""
    writes: list[bytes] = []
    fsyncs: list[str] = []
    more = [JournalOutcome(op=n, ok=True) for n in range(2, 6)]

    def write(fd: int, data: bytes) -> int:
        writes.append(data)
        return os.write(fd, data)

    def fsync(fd: int) -> None:
        fsyncs.append(threading.current_thread().name)
        os.fsync(fd)

    async def commit_all() -> None:
        journal = Journal(path, write=write, fsync=fsync)
        await journal.commit(BEGIN)
        await asyncio.gather(*(journal.commit(line) for line in (INTENT, *more)))
        journal.close()

    asyncio.run(commit_all())

    assert read_journal(path) == [BEGIN, INTENT, *more]
    assert [data.count(b"\n") for data in writes] == [1, 5]
    assert len(fsyncs) == 2
    assert threading.main_thread().name not in fsyncs  # never on the event loop


def test_a_failed_batch_fails_each_of_its_lines_with_its_own_consequence(path: Path) -> None:
    before = journal_with(path, BEGIN)

    async def commit_both() -> list[BaseException | None]:
        journal = Journal(path, write=half_writer)
        results = await asyncio.gather(
            journal.commit(INTENT), journal.commit(OUTCOME), return_exceptions=True
        )
        journal.close()
        return list(results)

    intent_error, outcome_error = asyncio.run(commit_both())

    assert isinstance(intent_error, JournalWriteError)
    assert str(intent_error).endswith("; nothing was sent for this write")
    assert isinstance(outcome_error, JournalWriteError)
    assert "the write was sent, but its outcome is not recorded" in str(outcome_error)
    assert path.read_bytes() == before


def test_a_short_write_is_cut_back_and_refused(path: Path) -> None:
    before = journal_with(path, BEGIN)
    journal = Journal(path, write=half_writer)

    with pytest.raises(JournalWriteError) as caught:
        journal.append(INTENT)

    message = str(caught.value)
    assert message.startswith(f"{path}: cannot write the journal (short write: ")
    assert message.endswith("; nothing was sent for this write")
    assert caught.value.path == str(path)
    assert isinstance(caught.value, StateError)
    assert caught.value.exit_code == ExitCode.ERROR
    assert path.read_bytes() == before  # no torn line left behind
    assert read_journal(path) == [BEGIN]


def test_after_a_short_write_was_cut_back_the_journal_goes_on(path: Path) -> None:
    calls = 0

    def short_once(fd: int, data: bytes) -> int:
        nonlocal calls
        calls += 1
        return half_writer(fd, data) if calls == 2 else os.write(fd, data)

    journal = Journal(path, write=short_once)
    journal.append(BEGIN)
    with pytest.raises(JournalWriteError):
        journal.append(INTENT)
    journal.append(OUTCOME)
    journal.close()

    assert read_journal(path) == [BEGIN, OUTCOME]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EBADF], ids=errno.errorcode.get)
def test_a_failing_write_raises_and_leaves_the_journal_unchanged(path: Path, code: int) -> None:
    before = journal_with(path, BEGIN)
    journal = Journal(path, write=failing(code))

    with pytest.raises(JournalWriteError) as caught:
        journal.append(INTENT)

    assert str(caught.value) == (
        f"{path}: cannot write the journal ({os.strerror(code)}); nothing was sent for this write"
    )
    assert path.read_bytes() == before


def test_a_failed_outcome_says_the_write_was_sent(path: Path) -> None:
    journal_with(path, BEGIN, INTENT)
    journal = Journal(path, write=failing(errno.ENOSPC))

    with pytest.raises(JournalWriteError, match=r"the write was sent, but its outcome is not"):
        journal.append(OUTCOME)

    assert read_journal(path) == [BEGIN, INTENT]  # the next run looks the write up


def test_a_failed_fsync_cuts_the_line_and_refuses_every_later_append(path: Path) -> None:
    before = journal_with(path, BEGIN)
    journal = Journal(path, fsync=failing(errno.EIO))

    with pytest.raises(JournalWriteError, match=r"\(fsync failed: Input/output error\)"):
        journal.append(INTENT)
    assert path.read_bytes() == before
    with pytest.raises(JournalWriteError, match=r"fsync failed.*nothing was sent"):
        journal.append(INTENT)
    journal.close()

    assert path.read_bytes() == before


def test_when_the_torn_line_cannot_be_cut_off_nothing_more_is_appended(path: Path) -> None:
    journal_with(path, BEGIN)
    read_only = os.open(path, os.O_RDONLY)

    def short_then_read_only(fd: int, data: bytes) -> int:
        written = half_writer(fd, data)
        os.dup2(read_only, fd)  # the descriptor can no longer truncate the file
        return written

    journal = Journal(path, write=short_then_read_only)
    with pytest.raises(JournalWriteError, match=r"may end in a torn line, which the next run"):
        journal.append(INTENT)
    with pytest.raises(JournalWriteError, match=r"short write"):
        journal.append(OUTCOME)
    journal.close()
    os.close(read_only)

    assert read_journal(path) == [BEGIN]  # the torn intent is ignored
    journal_with(path, OUTCOME)  # and a new journal cuts it off before appending
    assert read_journal(path) == [BEGIN, OUTCOME]


def test_a_journal_that_cannot_be_opened_raises_journal_write_error(tmp_path: Path) -> None:
    (tmp_path / ".onepin-sync").write_text("a file, not a folder", encoding="utf-8")
    journal = Journal(tmp_path / ".onepin-sync" / "journal.jsonl")

    with pytest.raises(JournalWriteError, match=r"cannot open it: .*nothing was sent"):
        journal.append(BEGIN)


# --- torn last lines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b'{"type": "intent", "op": 2', b'{"lineage": "x", "serial": 1, "type": "begin"}', b"\0\0\0\n"],
    ids=["half-a-line", "complete-but-no-newline", "unparseable-last-line"],
)
def test_a_torn_last_line_is_ignored_and_cut_off_by_the_next_append(
    path: Path, tail: bytes
) -> None:
    complete = journal_with(path, BEGIN, INTENT)
    path.write_bytes(complete + tail)

    assert read_journal(path) == [BEGIN, INTENT]

    journal_with(path, OUTCOME)
    assert path.read_bytes().startswith(complete)
    assert read_journal(path) == [BEGIN, INTENT, OUTCOME]


def test_a_journal_holding_only_a_torn_line_reads_as_empty(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"type": "beg')

    assert read_journal(path) == []
    assert journal_with(path, BEGIN) == journal_with(path.with_name("fresh.jsonl"), BEGIN)


def test_a_damaged_line_before_the_last_is_refused(path: Path) -> None:
    complete = journal_with(path, BEGIN, INTENT)
    damaged = complete.replace(b'"intent"', b'"inten', 1) + journal_with(
        path.with_name("more.jsonl"), OUTCOME
    )
    path.write_bytes(damaged)

    with pytest.raises(StateError, match=r"journal.jsonl:2: damaged journal line"):
        read_journal(path)
    with pytest.raises(JournalWriteError) as caught:
        Journal(path).append(BEGIN)
    assert str(caught.value) == (
        f"{path}: cannot write the journal (line 2 is damaged; inspect it); nothing was sent for "
        "this write"
    )
    assert path.read_bytes() == damaged  # refused, never rewritten


WORKFLOW_ID = "3d4c5244-648b-4b68-a4b2-6ee739e47a2a"
HASH = "sha256:" + "0" * 64
ENTRY = StateEntry(
    id=WORKFLOW_ID,
    name="Hotline",
    applied_hash=HASH,
    remote_hash=HASH,
    remote_updated_at=datetime(2026, 1, 2, tzinfo=UTC),
)
UPDATE = JournalIntent(
    op=2,
    key="support/hotline",
    action=Action.UPDATE,
    remote_id=WORKFLOW_ID,
    applied_hash=HASH,
    started_at=datetime(2026, 1, 2, tzinfo=UTC),
)
DONE = JournalOutcome(op=2, ok=True, entry=ENTRY)


def test_ids_keys_and_hashes_of_the_lockfiles_form_round_trip(path: Path) -> None:
    journal_with(path, BEGIN, UPDATE, DONE)

    assert read_journal(path) == [BEGIN, UPDATE, DONE]


@pytest.mark.parametrize(
    "line",
    [
        UPDATE.model_copy(update={"key": "../../evil key"}),
        UPDATE.model_copy(update={"key": "k" * 251}),
        UPDATE.model_copy(update={"remote_id": "../workflows"}),
        UPDATE.model_copy(update={"applied_hash": "h"}),
        DONE.model_copy(update={"entry": ENTRY.model_copy(update={"id": "wf-1"})}),
        DONE.model_copy(update={"entry": ENTRY.model_copy(update={"remote_hash": "h"})}),
        DONE.model_copy(update={"entry": ENTRY.model_copy(update={"listed_hash": "h"})}),
    ],
    ids=[
        "a key out of the folder",
        "a key too long",
        "an id that is a path",
        "an applied hash",
        "an entry's id",
        "an entry's remote hash",
        "an entry's listed hash",
    ],
)
def test_a_line_with_what_no_lockfile_can_hold_is_damaged(path: Path, line: JournalLine) -> None:
    """Settling sends a line's ids in requests and records its entries in the lockfile."""
    journal_with(path, BEGIN, line, OUTCOME)

    with pytest.raises(StateError, match=r"journal.jsonl:2: damaged journal line"):
        read_journal(path)


def test_a_line_nested_too_deeply_is_damaged(path: Path) -> None:
    complete = journal_with(path, BEGIN)
    path.write_bytes(complete + b"[" * 100_000 + b"]" * 100_000 + b"\n" + complete)

    with pytest.raises(StateError, match=r"journal.jsonl:2: damaged journal line"):
        read_journal(path)
