"""`onepin-sync emulator serve`: options, refusals, and a real foreground server."""

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from onepin_sync.cli import run
from onepin_sync.emulator.cli import emulator_group
from onepin_sync.emulator.keys import DEFAULT_API_KEY
from onepin_sync.emulator.server import listening_socket

# The emulator's own command group, run without the rest of the CLI.
SERVE = "from onepin_sync.emulator.cli import emulator_group; emulator_group()"


def test_help_lists_every_option() -> None:
    result = CliRunner().invoke(emulator_group, ["serve", "--help"])

    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--db",
        "--api-key",
        "--control",
        "--latency-ms",
        "--rate-limit-per-min",
        "--fault",
        "--allow-remote",
        "--profile",
    ):
        assert option in result.output
    assert "--profile [current|next]" in result.output


def test_an_unknown_profile_is_a_usage_error() -> None:
    result = CliRunner().invoke(emulator_group, ["serve", "--profile", "later"])

    assert result.exit_code == 2
    assert "'later' is not one of 'current', 'next'" in result.output


def test_a_non_loopback_host_needs_allow_remote() -> None:
    result = CliRunner().invoke(emulator_group, ["serve", "--host", "0.0.0.0"])

    assert result.exit_code == 3
    assert result.output.startswith("Error: --host 0.0.0.0 is not a loopback address")
    assert "--allow-remote" in result.output


def test_a_bad_fault_spec_is_a_usage_error() -> None:
    result = CliRunner().invoke(emulator_group, ["serve", "--fault", "status=abc"])

    assert result.exit_code == 2
    assert "--fault" in result.output


def test_a_bad_key_spec_is_a_one_line_error_with_exit_code_3() -> None:
    result = CliRunner().invoke(emulator_group, ["serve", "--api-key", "secret", "--port", "0"])

    assert result.exit_code == 3
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: --api-key 'secret': a key is op_live_")


def test_setup_errors_exit_3_with_one_line_inside_the_product_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    code = run(["emulator", "serve", "--port", "0", "--db", str(blocker / "sub" / "e.db")])

    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    assert captured.err.startswith("Error: cannot create the emulator database at ")
    assert captured.err.count("\n") == 1


def test_importing_the_command_does_not_load_the_server_stack() -> None:
    code = (
        "import sys, onepin_sync.emulator.cli; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'pydantic') "
        "if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout

    assert output.strip() == "[]"


def test_without_the_extra_the_error_names_it() -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None\n"
        "from onepin_sync.emulator.embedded import EmbeddedEmulator\n"
        "from onepin_sync.emulator.errors import EmulatorError\n"
        "try:\n"
        "    EmbeddedEmulator().start()\n"
        "except EmulatorError as exc:\n"
        "    print(exc.exit_code, exc)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout

    assert output.strip() == (
        "3 the emulator needs the optional extra: pip install 'onepin-sync[emulator]'"
    )


def test_the_announced_socket_takes_connections_before_the_server_runs() -> None:
    """`serve` announces its URL before uvicorn has started: a client that connects on reading
    it (a CI step waiting for the line) waits in the backlog instead of being refused."""
    with (
        listening_socket("127.0.0.1", 0) as sock,
        socket.create_connection(sock.getsockname()[:2], timeout=5),
    ):
        pass


@pytest.fixture(params=["default", "next"])
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A foreground `serve` in a subprocess, with the default profile and with `--profile next`;
    yields (base URL, everything it printed)."""
    profile = [] if request.param == "default" else ["--profile", request.param]
    args = [
        "serve",
        *profile,
        "--port",
        "0",
        "--db",
        str(tmp_path / "served.db"),
        "--control",
        "--api-key",
        "op_live_secondKey",
        "--fault",
        "status=503,path=whoami,retry_after=3",
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert process.stdout is not None
    printed = ""
    try:
        for line in process.stdout:
            printed += line
            if line.startswith("Press Ctrl+C"):
                break
        match = re.search(r"listening on (http://\S+)", printed)
        assert match, printed + (process.stderr.read() if process.stderr else "")
        yield match.group(1), printed
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors, errors


def test_serve_prints_url_key_and_an_example_and_serves(served: tuple[str, str]) -> None:
    url, printed = served

    assert url.startswith("http://127.0.0.1:")
    assert DEFAULT_API_KEY in printed
    assert f"onepin --api-key {DEFAULT_API_KEY} --base-url {url} --json workflows list" in printed
    assert f"{url}/_emulator/" in printed
    with httpx.Client(base_url=url, headers={"Authorization": "Bearer op_live_secondKey"}) as api:
        created = api.post("/api/v1/workflows", json={"name": "served"})
        whoami = api.get("/api/v1/auth/whoami")
        faults = api.get("/_emulator/faults")
        profile = api.get("/_emulator/profile").json()["profile"]
        node_types = len(api.get("/api/v1/nodes").json()["data"])

    assert f"  profile    {profile}\n" in printed
    assert (profile, node_types) in {("current", 11), ("next", 12)}

    assert created.status_code == 201
    assert whoami.status_code == 503
    assert whoami.headers["retry-after"] == "3"
    assert faults.json()[0]["fired"] == 1
