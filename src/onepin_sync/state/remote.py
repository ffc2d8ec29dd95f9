"""State in object storage (`state: {url: s3://bucket/prefix/onepin-sync.lock}`), shared by CI
runners without any commit back.

    <url>                         the lockfile, byte for byte what a file lockfile holds
    <url>.statelock               the lock: who holds it (id, user, host, pid, CI job URL, time)
    <url>.journal/<n>.json        the journal of an apply in progress, one object per line

Every write is conditional, so no two runners ever overwrite each other:

- the lock is taken with a create-only put (`If-None-Match: *`): of two runners at the same
  moment exactly one creates it; the other waits (`--lock-timeout`) or is refused, naming the
  holder. A lock left by a runner that died (a cancelled CI job) stays until
  `force-unlock ID`: no runner can tell a dead holder on another machine from a slow one.
- the lockfile is replaced with a compare-and-swap on the ETag this run read (`If-Match`), or
  created only if absent when it read none: a runner whose view is stale (it lost its lock to a
  force-unlock, say) is refused with `ConflictError` and must plan again.
- journal lines are created only if absent, so a line is never overwritten or torn.

The object store is reached through obstore (the optional extra `onepin-sync[s3]`; S3, GCS and
Azure behind one API), imported only when a project uses remote state. S3 endpoint, credentials
and region come from the standard variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`), so any S3-compatible store works;
no message ever includes a credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from onepin_sync.core.models import StateFile
from onepin_sync.errors import (
    ConflictError,
    InputError,
    JournalWriteError,
    LockHeldError,
    StateError,
)
from onepin_sync.state.journal import JournalLine, consequence_of, line_bytes, parse_line
from onepin_sync.state.lockfile import lockfile_text, parse_lockfile
from onepin_sync.state.statelock import check_unlock, held_message, holder_info

if TYPE_CHECKING:
    from obstore.store import ObjectStore

_POLL_SECONDS = 0.5
_S3_VARIABLES = {
    "AWS_ENDPOINT_URL": "endpoint",
    "AWS_ACCESS_KEY_ID": "access_key_id",
    "AWS_SECRET_ACCESS_KEY": "secret_access_key",
    "AWS_SESSION_TOKEN": "session_token",
    "AWS_REGION": "region",
}


class _Exists(Exception):
    """A conditional put found the object present, or changed since it was read."""


class Bucket:
    """The few object operations the state needs, over obstore, errors as `StateError`."""

    def __init__(self, url: str, env: Mapping[str, str]) -> None:
        try:
            from obstore.store import from_url
        except ImportError:
            raise InputError(
                f"state.url {url} needs object storage support: pip install 'onepin-sync[s3]'"
            ) from None
        folder, _, _ = url.rpartition("/")
        config: Any = {}
        client: Any = {"timeout": "30s", "connect_timeout": "10s"}
        if url.startswith("s3://"):
            config = {name: env[var] for var, name in _S3_VARIABLES.items() if env.get(var)}
            if "region" not in config and env.get("AWS_DEFAULT_REGION"):
                config["region"] = env["AWS_DEFAULT_REGION"]
            client["allow_http"] = str(config.get("endpoint", "")).startswith("http://")
        retry: Any = {"max_retries": 3, "retry_timeout": timedelta(seconds=30)}
        self.where = folder
        try:
            self._store: ObjectStore = from_url(
                folder + "/", config=config, client_options=client, retry_config=retry
            )
        except Exception as exc:
            raise InputError(f"state.url {url}: {_first_line(exc)}") from None

    def get(self, name: str) -> tuple[bytes, str | None] | None:
        """The object's bytes and ETag, or None when there is none."""
        import obstore

        try:
            found = obstore.get(self._store, name)
            return bytes(found.bytes()), found.meta.get("e_tag")
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise self._error("read", name, exc) from None

    def put(self, name: str, data: bytes, *, e_tag: str | None) -> str | None:
        """Write `name` if it is still at version `e_tag` (None: only if absent); its new ETag.
        `_Exists` when another writer got there first."""
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        try:
            mode: Any = "create" if e_tag is None else {"e_tag": e_tag}
            return obstore.put(self._store, name, data, mode=mode).get("e_tag")
        except (AlreadyExistsError, PreconditionError):
            raise _Exists(name) from None
        except Exception as exc:
            raise self._error("write", name, exc) from None

    def delete(self, name: str) -> None:
        import obstore

        try:
            obstore.delete(self._store, name)
        except FileNotFoundError:
            return
        except Exception as exc:
            raise self._error("delete", name, exc) from None

    def names(self, prefix: str) -> list[str]:
        """The objects under `prefix`, sorted."""
        import obstore

        try:
            listed = obstore.list(self._store, prefix).collect()
        except Exception as exc:
            raise self._error("list", prefix, exc) from None
        return sorted(str(meta["path"]) for meta in listed)

    def _error(self, verb: str, name: str, exc: Exception) -> StateError:
        return StateError(f"cannot {verb} {self.where}/{name} ({_first_line(exc)})")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


class ObjectStateStore:
    """The `StateStore` of a state object at `url` (see the module docstring)."""

    def __init__(
        self,
        url: str,
        env: Mapping[str, str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._bucket = Bucket(url, env)
        self._name = url.rpartition("/")[2]
        self._lock_name = f"{self._name}.statelock"
        self._journal_prefix = f"{self._name}.journal/"
        self._sleep = sleep
        self._clock = clock
        self._version: str | None = None  # the ETag this run last read or wrote
        self._seen = False  # whether this run has read or written the state object yet

    @property
    def location(self) -> str:
        return self.url

    def exists(self) -> bool:
        if self._seen:
            return self._version is not None
        return self._bucket.get(self._name) is not None

    def read(self) -> StateFile | None:
        found = self._bucket.get(self._name)
        self._seen = True
        if found is None:
            self._version = None
            return None
        data, self._version = found
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise StateError(f"{self.url}: the state object is not UTF-8 text") from None
        return parse_lockfile(text, self.url)

    def write(self, state: StateFile) -> None:
        """Compare-and-swap: replaces the state only if it is still what this run last saw."""
        if not self._seen:
            self.read()
        try:
            version = self._bucket.put(
                self._name, lockfile_text(state).encode(), e_tag=self._version
            )
        except _Exists:
            raise ConflictError(self._stale_message(state)) from None
        self._version = version

    def _stale_message(self, state: StateFile) -> str:
        found = self._bucket.get(self._name)
        now = "was deleted" if found is None else "was changed"
        if found is not None:
            try:
                current = parse_lockfile(found[0].decode("utf-8"), self.url)
                now = f"is at serial {current.serial} now"
            except (StateError, UnicodeDecodeError):
                pass
        return (
            f"{self.url}: the state {now}, written by another run since this run read it; this "
            f"run's state (serial {state.serial}) was not saved. Run plan again (onepin-sync "
            "plan) and apply from it"
        )

    def remove(self) -> None:
        self._bucket.delete(self._name)
        self._version, self._seen = None, True

    def lock(self, *, timeout: float, env: Mapping[str, str]) -> ObjectLock:
        return ObjectLock(self, timeout=timeout, env=env)

    def lock_info(self) -> dict[str, object]:
        """What the lock object says about its holder ({} when there is none)."""
        found = self._bucket.get(self._lock_name)
        if found is None:
            return {}
        try:
            info = json.loads(found[0])
        except (ValueError, RecursionError):
            return {"id": "unreadable"}
        return info if isinstance(info, dict) else {"id": "unreadable"}

    def live_holder(self) -> Mapping[str, object] | None:
        """The lock's holder: any lock object counts, as its runner may be on another machine."""
        return self.lock_info() or None

    def force_unlock(self, lock_id: str) -> None:
        check_unlock(self.lock_info(), f"{self.url}.statelock", lock_id)
        self._bucket.delete(self._lock_name)

    def open_journal(self) -> ObjectJournal:
        return ObjectJournal(self._bucket, self._journal_prefix)

    def read_journal(self) -> list[JournalLine]:
        lines = []
        for name in self._bucket.names(self._journal_prefix):
            found = self._bucket.get(name)
            if found is None:
                continue
            try:
                lines.append(parse_line(found[0]))
            except (ValueError, ValidationError):
                raise StateError(
                    f"{self.url}: damaged journal line {name}; inspect it, then delete it"
                ) from None
        return lines

    def remove_journal(self) -> None:
        for name in self._bucket.names(self._journal_prefix):
            self._bucket.delete(name)

    def set_journal_aside(self, lineage: str) -> str:
        aside = f"{self._name}.journal.{lineage}.unsettled/"
        for name in self._bucket.names(self._journal_prefix):
            found = self._bucket.get(name)
            if found is not None:
                target = aside + name.removeprefix(self._journal_prefix)
                with contextlib.suppress(_Exists):  # copied by an earlier attempt
                    self._bucket.put(target, found[0], e_tag=None)
            self._bucket.delete(name)
        return f"{self._bucket.where}/{aside}"


class ObjectLock:
    """The state lock as an object created only if absent; released by deleting it."""

    def __init__(self, store: ObjectStateStore, *, timeout: float, env: Mapping[str, str]) -> None:
        self._store = store
        self._bucket = store._bucket
        self._name = store._lock_name
        self.timeout = timeout
        self.lock_id = str(uuid.uuid4())
        self._env = env
        self._held = False

    def __enter__(self) -> ObjectLock:
        info = json.dumps(holder_info(self.lock_id, self._env), sort_keys=True) + "\n"
        deadline = self._store._clock() + self.timeout
        while True:
            try:
                self._bucket.put(self._name, info.encode(), e_tag=None)
                break
            except _Exists:
                holder = self._store.lock_info()
                if self._store._clock() >= deadline:
                    where = f"{self._store.url}.statelock"
                    raise LockHeldError(held_message(holder, where)) from None
                self._store._sleep(_POLL_SECONDS)
        self._held = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._held:
            return
        self._held = False
        if self._store.lock_info().get("id") == self.lock_id:  # not force-unlocked meanwhile
            self._bucket.delete(self._name)


class ObjectJournal:
    """The journal as one object per line, each created only if absent (never torn).

    Lines are numbered in the order they are committed (an intent always before its outcome)
    and written off the event loop, concurrently like the writes they journal.
    """

    def __init__(self, bucket: Bucket, prefix: str) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._next: int | None = None
        self._in_flight: set[asyncio.Future[None]] = set()

    async def commit(self, line: JournalLine) -> None:
        if self._next is None:
            self._next = len(await asyncio.to_thread(self._bucket.names, self._prefix))
        name = f"{self._prefix}{self._next:08d}.json"
        self._next += 1
        put = asyncio.ensure_future(asyncio.to_thread(self._put, name, line))
        self._in_flight.add(put)
        put.add_done_callback(self._in_flight.discard)
        await asyncio.shield(put)  # a cancelled committer leaves its line on its way

    async def idle(self) -> None:
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _put(self, name: str, line: JournalLine) -> None:
        try:
            self._bucket.put(name, line_bytes(line), e_tag=None)
        except (_Exists, StateError) as exc:
            reason = "another run wrote it" if isinstance(exc, _Exists) else str(exc)
            where = f"{self._bucket.where}/{name}"
            raise JournalWriteError(
                f"{where}: cannot write the journal ({reason}); {consequence_of(line)}", path=where
            ) from None

    def close(self) -> None:
        """Nothing stays open: each line is its own object."""
