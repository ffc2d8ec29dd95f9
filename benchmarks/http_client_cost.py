"""What httpx alone costs per request: the part of an apply's CPU per write that is not ours.

    .venv/bin/python benchmarks/http_client_cost.py                 # 200 POSTs, 8 at a time, 50 ms
    .venv/bin/python benchmarks/http_client_cost.py --latency-ms 0 --requests 1000

Sends POSTs shaped like an apply's creates (a workflow's JSON, ~5 KB) through an
`httpx.AsyncClient` pooled as onepin-sync's (`--parallelism` connections), to a trivial asyncio
HTTP/1.1 server in a process of its own on 127.0.0.1 that waits the latency and answers each
with a fixed body shaped like a created workflow; no onepin-sync code runs on either side. Prints
this process's CPU time per request (the client's: the server's is in its own process) and the
wall time as rounds of `--parallelism` requests. BENCHMARKS.md quotes it for the apply rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

import _workload as w
import httpx

WARM_UP = 16  # requests before the measured ones: connections opened, code paths warm


def body() -> bytes:
    """A create's request body: a benchmark workflow as onepin-sync sends it."""
    document = w.workflow_document(0)
    return json.dumps(document, separators=(",", ":")).encode()


def answer(request: bytes) -> bytes:
    """A created workflow's response: the envelope around the request's workflow and an id."""
    data = {"id": "0" * 8 + "-0000-4000-8000-" + "0" * 12, **json.loads(request)}
    payload = json.dumps({"data": data, "meta": {"request_id": "req_0"}}).encode()
    head = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
    return f"{head}content-length: {len(payload)}\r\n\r\n".encode() + payload


async def serve(sock: socket.socket, latency: float, response: bytes) -> None:
    """Answer every request on every connection with `response`, `latency` seconds after it."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":", 1)[1]))
                await asyncio.sleep(latency)
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, sock=sock)
    await server.serve_forever()


async def measure(url: str, requests: int, parallelism: int) -> tuple[float, float]:
    """This process's CPU seconds and the wall seconds of `requests` POSTs, `parallelism` at a
    time."""
    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    content = body()
    headers = {"content-type": "application/json", "authorization": "Bearer op_live_bench"}
    async with httpx.AsyncClient(base_url=url, limits=limits, verify=False) as client:
        gate = asyncio.Semaphore(parallelism)

        async def one() -> None:
            async with gate:
                response = await client.post("/api/v1/workflows", content=content, headers=headers)
                response.raise_for_status()
                response.json()

        await asyncio.gather(*(one() for _ in range(WARM_UP)))
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        return time.process_time() - cpu, time.perf_counter() - wall


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server's own process
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    if args.serve is not None:
        sock = socket.socket(fileno=args.serve)
        asyncio.run(serve(sock, latency, answer(body())))
        return 0
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    command = [
        sys.executable,
        __file__,
        "--serve",
        str(sock.fileno()),
        "--latency-ms",
        str(args.latency_ms),
    ]
    server = subprocess.Popen(command, pass_fds=[sock.fileno()])
    try:
        cpu, wall = asyncio.run(
            measure(f"http://127.0.0.1:{port}", args.requests, args.parallelism)
        )
    finally:
        server.kill()
        server.wait()
        sock.close()
    rounds = math.ceil(args.requests / args.parallelism)
    print(
        f"httpx {httpx.__version__}: {1000 * cpu / args.requests:.2f} ms of CPU per request; "
        f"{args.requests} requests, {args.parallelism} at a time, {args.latency_ms:g} ms latency: "
        f"{wall:.2f} s = {rounds} x {1000 * wall / rounds:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
