"""The emulator embedded in-process: what tests and `onepin-sync plan|apply --emulator` run.

`EmbeddedEmulator` binds 127.0.0.1 port 0 itself, hands the socket to `uvicorn.Server.run` in a
daemon thread, and returns from `start()` only once the server accepts requests; `stop()` shuts
it down cleanly and joins the thread. Nothing is logged below warnings, so the host program's
output stays its own.

Imports only the standard library and pure sibling modules at import time; `start()` imports
uvicorn and FastAPI and raises EmulatorError when the `[emulator]` extra is missing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from onepin_sync.emulator.database import DEFAULT_DB_PATH
from onepin_sync.emulator.keys import DEFAULT_API_KEY, DEFAULT_WORKSPACE_ID
from onepin_sync.emulator.options import EmulatorOptions
from onepin_sync.emulator.profiles import DEFAULT_PROFILE
from onepin_sync.emulator.server import (
    import_uvicorn,
    listening_socket,
    url_for,
    uvicorn_config,
)

if TYPE_CHECKING:
    from onepin_sync.emulator.faults import FaultRule
    from onepin_sync.emulator.traffic import EmulatorApp

_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0


class EmbeddedEmulator:
    """An emulator served in-process on a free loopback port, for tests and `--emulator`."""

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        *,
        control: bool = False,
        api_keys: Sequence[str] = (),
        rate_limit_per_min: int | None = None,
        rate_limit_spent: bool = False,
        rate_limit_headers: bool = False,
        latency_ms: float = 0.0,
        faults: Sequence[FaultRule] = (),
        profile: str = DEFAULT_PROFILE,
    ) -> None:
        """Configure (nothing runs until `start()`); the arguments are `EmulatorOptions` fields.

        Raises EmulatorError at once for a malformed option (an `api_keys` spec, for instance).
        """
        self.options = EmulatorOptions(
            db_path=db_path,
            control=control,
            api_keys=tuple(api_keys),
            rate_limit_per_min=rate_limit_per_min,
            rate_limit_spent=rate_limit_spent,
            rate_limit_headers=rate_limit_headers,
            latency_ms=latency_ms,
            faults=tuple(faults),
            profile=profile,
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._app: EmulatorApp | None = None
        self._sock: socket.socket | None = None
        self._port: int | None = None

    @classmethod
    def from_options(cls, options: EmulatorOptions) -> Self:
        """An emulator built from ready-made options (the same as passing each field)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(options)})

    default_api_key = DEFAULT_API_KEY
    """The fixed dev key, bound to `default_workspace_id` with every scope."""
    default_workspace_id = DEFAULT_WORKSPACE_ID

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`; only while started."""
        if self._port is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return url_for("127.0.0.1", self._port)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> Self:
        """Serve in a daemon thread; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        uvicorn = import_uvicorn()
        from onepin_sync.emulator.app import create_app

        app = create_app(self.options)
        try:
            sock = listening_socket("127.0.0.1", 0)
        except BaseException:
            app.close()
            raise
        try:
            server = uvicorn.Server(uvicorn_config(uvicorn, app, access_log=False))
            thread = threading.Thread(
                target=server.run,
                kwargs={"sockets": [sock]},
                name="onepin-sync-emulator",
                daemon=True,
            )
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
            if not server.started:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT)
                raise RuntimeError("the embedded emulator did not start")
        except BaseException:
            sock.close()
            app.close()
            raise
        self._port = int(sock.getsockname()[1])
        self._server, self._thread, self._app, self._sock = server, thread, app, sock
        return self

    def stop(self) -> None:
        """Shut the server down and wait for its thread (idempotent)."""
        thread, server, app, sock = self._thread, self._server, self._app, self._sock
        if thread is None or server is None or app is None or sock is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        sock.close()
        app.close()
        self._server = self._thread = self._app = self._sock = self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded(
    db_path: str | Path = DEFAULT_DB_PATH, *, profile: str = DEFAULT_PROFILE
) -> EmbeddedEmulator:
    """A started emulator over the persistent database at `db_path`; call `stop()` when done.

    Raises EmulatorError when it cannot start (the extra missing, an unusable database).
    """
    return EmbeddedEmulator(db_path, profile=profile).start()
