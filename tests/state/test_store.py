"""The lockfile store reads a file once while it stays the same, and again once anything
(this process or another) replaced or edited it."""

from __future__ import annotations

import os
from pathlib import Path

from onepin_sync.core.models import StateFile
from onepin_sync.state.lockfile import write_lockfile
from onepin_sync.state.store import FileStateStore


def _state(serial: int) -> StateFile:
    return StateFile(lineage="l", serial=serial, salt="salt", api_url="https://api")


def test_a_lockfile_is_parsed_once_while_it_stays_the_same(tmp_path: Path) -> None:
    lockfile = tmp_path / "onepin-sync.lock"
    write_lockfile(lockfile, _state(1))
    store = FileStateStore(lockfile)

    assert store.read() is store.read()


def test_a_lockfile_replaced_or_edited_in_place_is_read_again(tmp_path: Path) -> None:
    lockfile = tmp_path / "onepin-sync.lock"
    store = FileStateStore(lockfile)
    assert store.read() is None
    write_lockfile(lockfile, _state(1))  # another process: a new file (atomic rename)
    first = store.read()
    assert first is not None
    assert first.serial == 1

    text = lockfile.read_text(encoding="utf-8").replace('"serial": 1', '"serial": 2')
    with open(lockfile, "r+", encoding="utf-8") as handle:  # an editor saving in place
        handle.write(text)
    os.utime(lockfile, ns=(0, os.stat(lockfile).st_mtime_ns + 1))
    second = store.read()
    assert second is not None
    assert second.serial == 2

    store.write(_state(3))
    third = store.read()
    assert third is not None
    assert third.serial == 3
