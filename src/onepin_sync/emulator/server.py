"""Running the emulator under uvicorn: the shared configuration, and the foreground server.

`serve_in_foreground` is what `onepin-sync emulator serve` runs; `embedded.py` runs the same app in
a thread. Both use the h11 protocol on the asyncio loop, the combination the reset fault is built
for. uvicorn's logging is left unconfigured (warnings only) unless an access log is asked for.

Imports only the standard library and pure sibling modules at import time; uvicorn and FastAPI are
imported by `import_uvicorn()`, which raises EmulatorError when the extra is missing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from onepin_sync.emulator.errors import EmulatorError

if TYPE_CHECKING:
    from onepin_sync.emulator.options import EmulatorOptions
    from onepin_sync.emulator.traffic import EmulatorApp

MISSING_EXTRA = "the emulator needs the optional extra: pip install 'onepin-sync[emulator]'"
BACKLOG = 2048  # connections waiting to be accepted: uvicorn's own default


def import_uvicorn() -> ModuleType:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise EmulatorError(MISSING_EXTRA) from None
    return uvicorn


def uvicorn_config(uvicorn: ModuleType, app: EmulatorApp, *, access_log: bool) -> Any:
    logging_options: dict[str, Any] = {"log_config": None, "log_level": "warning"}
    if access_log:
        logging_options = {"log_level": "info"}  # uvicorn's own handlers and format
    return uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        date_header=False,  # the traffic layer sends the emulator clock's (`clock.py`)
        access_log=access_log,
        timeout_graceful_shutdown=5,
        backlog=BACKLOG,
        **logging_options,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound (`port` 0: any free port) and listening, for uvicorn to serve on.

    Listening from here on, so a client that connects once the URL is announced waits in the
    backlog until uvicorn has started, instead of being refused. Created with `IPPROTO_TCP`
    explicitly: asyncio sets TCP_NODELAY on accepted connections only when the listening socket
    says so, and without it every response waits ~40 ms on Nagle's algorithm meeting the
    client's delayed ACK.
    """
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if port != 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def url_for(host: str, port: int) -> str:
    """`http://host:port`, with brackets around an IPv6 address."""
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"http://{host}:{port}"


def is_loopback(host: str) -> bool:
    """Whether every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def serve_in_foreground(
    options: EmulatorOptions,
    *,
    host: str,
    port: int,
    access_log: bool,
    on_ready: Callable[[str], None],
) -> None:
    """Bind `host:port`, call `on_ready(url)`, and serve until Ctrl+C (then return normally).

    On SIGTERM uvicorn shuts down the same way and then re-raises the signal, so the process ends
    as terminated, as usual for a server.
    """
    uvicorn = import_uvicorn()
    from onepin_sync.emulator.app import create_app

    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise EmulatorError(f"cannot listen on {host}:{port}: {exc}") from None
    try:
        app = create_app(options)
    except BaseException:
        sock.close()
        raise
    try:
        on_ready(url_for(host, int(sock.getsockname()[1])))
        server = uvicorn.Server(uvicorn_config(uvicorn, app, access_log=access_log))
        # uvicorn re-raises the Ctrl+C it shut down on; here stopping is the normal end.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
        app.close()
