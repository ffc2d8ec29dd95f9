"""`onepin-sync emulator serve`: the local Onepin API emulator in the foreground.

Thin: parse options, then `server.serve_in_foreground`. Imports only click, the standard library
and light sibling modules at import time (the core CLI imports this module even without the
`[emulator]` extra); FastAPI and uvicorn load when the command runs. Every setup failure (the
extra missing, a bad --db or --api-key, a busy port, a remote --host) leaves as `ServeError`, a
click exception with exit code 3 that prints one `Error: ...` line, here and inside the product
CLI alike. Imports nothing from onepin_sync outside the emulator.
"""

from __future__ import annotations

import click

from onepin_sync.emulator.database import DEFAULT_DB_PATH
from onepin_sync.emulator.errors import EmulatorError
from onepin_sync.emulator.keys import DEFAULT_API_KEY, DEFAULT_WORKSPACE_ID
from onepin_sync.emulator.options import EmulatorOptions
from onepin_sync.emulator.profiles import DEFAULT_PROFILE, PROFILE_NAMES


class ServeError(click.ClickException):
    """`serve` could not start as asked: one `Error: ...` line, exit code 3 (a usage problem)."""

    exit_code = EmulatorError.exit_code


@click.group("emulator", short_help="A local Onepin API server for trying onepin-sync.")
def emulator_group() -> None:
    """A local server that answers like the Onepin API, for trying onepin-sync without an account.

    It needs the [emulator] extra (pip install 'onepin-sync[emulator]'). `plan --emulator` and
    `apply --emulator` start the same server in-process; `emulator serve` runs it in the
    foreground so other tools (the official onepin CLI, curl) can use it too.

    \b
    Examples:
      onepin-sync emulator serve
      onepin-sync emulator serve --port 0 --db :memory: --control
    """


@emulator_group.command("serve", short_help="Serve the Onepin API locally until Ctrl+C.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 = any free port.",
)
@click.option(
    "--db",
    "db_path",
    default=str(DEFAULT_DB_PATH),
    show_default=True,
    help="SQLite database file (created if missing), or :memory: for a throwaway one.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY[:WORKSPACE[:SCOPES]]",
    help="Accept another key (repeatable). WORKSPACE defaults to the default workspace; "
    "SCOPES is comma-separated and defaults to all scopes.",
)
@click.option("--control", is_flag=True, help="Mount the /_emulator/ control endpoint.")
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default=DEFAULT_PROFILE,
    show_default=True,
    help="Which Onepin to play: current (today's API) or next (a plausible newer release).",
)
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added to every API request."
)
@click.option(
    "--rate-limit-per-min",
    type=click.IntRange(min=1),
    default=None,
    help="Token bucket per key; 429 RATE_LIMITED when empty (real keys get 1000). Default off.",
)
@click.option(
    "--rate-limit-spent",
    is_flag=True,
    help="Start every key's bucket empty, as if other jobs sharing the key had spent it.",
)
@click.option(
    "--rate-limit-headers",
    is_flag=True,
    help="Describe the bucket in X-RateLimit-Limit/-Remaining/-Reset headers on every answer.",
)
@click.option(
    "--fault",
    "fault_specs",
    multiple=True,
    metavar="SPEC",
    help="Arm a fault (repeatable): 'status=503,method=POST,times=3', 'reset,path=/workflows', "
    "'latency,seconds=0.2,times=0', or a JSON object.",
)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
def serve(
    host: str,
    port: int,
    db_path: str,
    api_keys: tuple[str, ...],
    control: bool,
    profile: str,
    latency_ms: float,
    rate_limit_per_min: int | None,
    rate_limit_spent: bool,
    rate_limit_headers: bool,
    fault_specs: tuple[str, ...],
    allow_remote: bool,
    access_log: bool,
) -> None:
    """Serve the Onepin API locally until Ctrl+C, and print its URL and a ready-to-use key.

    The data is kept in a SQLite file (--db), so it survives restarts. The default key is public,
    so only loopback addresses are allowed unless --allow-remote is given. --fault arms failures
    (errors, resets, latency) to see how a client copes.

    \b
    Examples:
      onepin-sync emulator serve
      onepin-sync emulator serve --port 9000 --rate-limit-per-min 1000
      onepin-sync emulator serve --control --fault 'status=503,method=POST,times=3'
    """
    from onepin_sync.emulator.faults import parse_fault_spec
    from onepin_sync.emulator.server import is_loopback, serve_in_foreground

    if not allow_remote and not is_loopback(host):
        raise ServeError(
            f"--host {host} is not a loopback address; the emulator's keys are public, "
            "so pass --allow-remote to expose it anyway"
        )
    try:
        faults = tuple(parse_fault_spec(spec) for spec in fault_specs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    try:
        options = EmulatorOptions(
            db_path=db_path,
            control=control,
            api_keys=api_keys,
            rate_limit_per_min=rate_limit_per_min,
            rate_limit_spent=rate_limit_spent,
            rate_limit_headers=rate_limit_headers,
            latency_ms=latency_ms,
            faults=faults,
            profile=profile,
        )
        serve_in_foreground(
            options,
            host=host,
            port=port,
            access_log=access_log,
            on_ready=lambda url: click.echo(_announcement(url, options)),
        )
    except EmulatorError as exc:
        raise ServeError(str(exc)) from None


def _announcement(url: str, options: EmulatorOptions) -> str:
    """What `serve` prints once it listens: where, which data, which keys, and a first command."""
    lines = [
        f"Onepin API emulator listening on {url}",
        f"  database   {options.db_path}",
        f"  profile    {options.profile}",
        f"  API key    {DEFAULT_API_KEY}",
        f"  workspace  {DEFAULT_WORKSPACE_ID}",
    ]
    lines += [f"  extra key  {spec}" for spec in options.api_keys]
    if options.control:
        lines.append(f"  control    {url}/_emulator/")
    lines += [
        "Try:",
        f"  onepin --api-key {DEFAULT_API_KEY} --base-url {url} --json workflows list",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)
