"""Benchmark `onepin-sync plan` over N managed workflows: wall time, requests, peak RSS.

    .venv/bin/python benchmarks/bench_plan.py                  # N = 1,000 and 10,000
    .venv/bin/python benchmarks/bench_plan.py --n 1000         # one size
    .venv/bin/python benchmarks/bench_plan.py --n 10000 --profile plan.prof --only no-changes

Per N, the harness writes N workflow files, seeds a workspace of the embedded emulator (this
process, 127.0.0.1) with exactly those workflows and writes the matching lockfile; none of that
is timed. Each case then runs in a fresh Python process that times `cli.run(["plan", ...])`, the
whole command as a user runs it (files, lockfile, listing, planning, rendering), and reports its
peak RSS. Cases:

    no-changes      files = lockfile = workspace: the plan must be empty
    1%-changed      1% of the files edited (desired changes): exactly that many updates
    in-process      no-changes, with the emulator started inside the measured process too
                    (so its RSS and CPU count; the other cases keep it in the harness process)
    naive           the approach onepin-sync avoids: one GET per managed workflow

Every case checks the request log: a plan must cost exactly 2 + ceil(N/100) requests, one
`GET /api/v1/auth/whoami` (the lockfile's workspace binding) and one `GET /api/v1/nodes` (the
server's catalogue), both sent with the first page, and ceil(N/100) listing pages
(`include_definition=true&limit=100`), nothing else; naive costs N GETs. A wrong count, a wrong
plan or a missed target makes the script exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _workload as w

SCRIPT = Path(__file__).resolve()
CASES = ("no-changes", "1%-changed", "in-process", "naive")
CHANGED_PERCENT = 1.0
KEY_BUDGET_PER_MIN = 1000  # a real API key's rate limit
RSS_LIMIT_MB = 400.0
RSS_LIMIT_UP_TO_N = 10_000


def time_limit(n: int) -> float:
    """3 s up to 1,000 workflows, then 2.5 ms per workflow (25 s at 10,000)."""
    return max(3.0, 2.5e-3 * n)


@dataclass(frozen=True)
class Prepared:
    """One N: the files, their changed copy, the lockfile and the seeded workspace."""

    n: int
    files: Path
    changed_files: Path
    changed: int
    lockfile: Path
    workspace: w.Workspace


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="workflows (repeatable)")
    parser.add_argument("--only", choices=CASES, action="append", help="cases to run")
    parser.add_argument("--profile", type=Path, help="cProfile the no-changes plan at the last N")
    parser.add_argument("--keep", type=Path, help="keep the scratch files in this folder")
    args = parser.parse_args(argv)
    sizes = args.n or [1_000, 10_000]
    cases = args.only or list(CASES)
    rows: list[w.Row] = []
    with w.scratch(args.keep) as root, w.BenchEmulator(root / "emulator.db") as emulator:
        for n in sizes:
            prepared = prepare(root / f"n{n}", n, emulator)
            for case in cases:
                rows.append(run_case(case, prepared, emulator))
            if args.profile is not None and n == sizes[-1]:
                run_case("no-changes", prepared, emulator, profile=args.profile.resolve())
    w.print_table("plan (each case in a fresh process; seeding not timed)", rows)
    print(f"(plus {w.cli_startup_seconds():.2f} s to start Python and import the CLI)")
    if args.profile is not None:
        w.print_profile(args.profile)
    return w.exit_code(rows)


def prepare(root: Path, n: int, emulator: w.BenchEmulator) -> Prepared:
    t0 = time.perf_counter()
    files = w.write_workflow_files(root / "workflows", n)
    changed_files = root / "workflows-changed"
    shutil.copytree(files, changed_files)
    edited = w.changed_indices(n, CHANGED_PERCENT)
    for index in edited:
        w.write_workflow_file(changed_files, index, w.edited_document(index))
    lockfile = root / "onepin-sync.lock"
    workspace = emulator.seeded_workspace(files, lockfile)
    print(f"N={n}: files and a seeded workspace ready in {time.perf_counter() - t0:.1f} s")
    return Prepared(n, files, changed_files, len(edited), lockfile, workspace)


def run_case(
    case: str, prepared: Prepared, emulator: w.BenchEmulator, profile: Path | None = None
) -> w.Row:
    """Run one case in a worker and check it; a profiled run is checked but not a timing."""
    n, ws = prepared.n, prepared.workspace
    folder = prepared.changed_files if case == "1%-changed" else prepared.files
    worker_args = [
        "--mode",
        "naive" if case == "naive" else "plan",
        "--dir",
        str(folder),
        "--lockfile",
        str(prepared.lockfile),
        "--api-key",
        ws.api_key,
    ]
    if case == "in-process":
        worker_args += ["--host-emulator", str(emulator.db_path), "--workspace", ws.workspace_id]
    else:
        worker_args += ["--base-url", ws.base_url]
    if profile is not None:
        worker_args += ["--profile", str(profile)]
    emulator.control.clear_requests()
    result = w.run_worker(SCRIPT, worker_args)
    if case == "in-process":
        requests = [tuple(r) for r in result.extra["requests"]]
    else:
        requests = [(r.method, r.path, r.query, r.status) for r in emulator.requests(ws)]

    problems: list[str] = []
    pages = w.listing_pages(n)
    if case == "naive":
        expected = n
        wrong = [r for r in requests if r[0] != "GET" or r[1] == w.LISTING_PATH or r[3] != 200]
    else:
        expected = w.SESSION_REQUESTS + pages
        wanted_query = re.compile(r"include_definition=true&limit=100&offset=\d+")
        listing = [
            r
            for r in requests
            if (r[0], r[1], r[3]) == ("GET", w.LISTING_PATH, 200) and wanted_query.fullmatch(r[2])
        ]
        session = [r for r in requests if r in w.SESSION_SIGNATURES]
        wrong = [r for r in requests if r not in listing and r not in session]
        if len(listing) != pages or len(session) != len(set(session)):
            wrong.append(f"{len(listing)} listing pages (not {pages}), session requests {session}")
        updates = prepared.changed if case == "1%-changed" else 0
        outcome = result.extra["outcome"]
        if outcome != {"code": 2 if updates else 0, "create": 0, "update": updates, "delete": 0}:
            problems.append(f"unexpected plan: {outcome} (wanted {updates} updates only)")
    if len(requests) != expected or wrong:
        problems.append(
            f"REQUEST COUNT: {len(requests)} requests, expected exactly {expected}; "
            f"unexpected: {wrong[:3]}"
        )
    for problem in problems:
        print(f"N={n} {case}: {problem}", file=sys.stderr)

    limit = time_limit(n)
    rss_checked = case != "naive" and n <= RSS_LIMIT_UP_TO_N
    if case == "naive":
        ok = not problems
        target = f"{expected} req"
    else:
        ok = not problems and result.seconds < limit
        target = f"< {limit:g} s, {expected} req"
        if rss_checked:
            ok = ok and result.peak_rss_mb < RSS_LIMIT_MB
            target += f", < {RSS_LIMIT_MB:g} MB"
    budget_seconds = len(requests) * 60 / KEY_BUDGET_PER_MIN
    return w.Row(
        case=f"{case} N={n:,}",
        figures={
            "wall s": f"{result.seconds:.2f}",
            "cpu s": f"{result.cpu_seconds:.2f}",
            "requests": str(len(requests)),
            "at 1000 req/min": _duration(budget_seconds),
            "peak RSS MB": f"{result.peak_rss_mb:.0f}",
        },
        target=target,
        ok=ok,
    )


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


# --- the worker: one measured run in a fresh process ---------------------------------------------


def worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--mode", choices=["plan", "naive"], required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--lockfile", type=Path, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--base-url")
    parser.add_argument("--host-emulator", type=Path, help="serve this database in-process")
    parser.add_argument("--workspace", help="the workspace of --api-key (with --host-emulator)")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    from onepin_sync.cli import run  # imported before timing: start-up is measured apart

    with contextlib.ExitStack() as stack:
        base_url: str = args.base_url
        control = None
        lockfile = args.lockfile
        if args.host_emulator is not None:
            from onepin_sync.emulator.control import EmulatorControl
            from onepin_sync.emulator.embedded import EmbeddedEmulator

            emulator = EmbeddedEmulator(
                args.host_emulator, control=True, api_keys=[f"{args.api_key}:{args.workspace}"]
            )
            stack.enter_context(emulator)
            base_url = emulator.base_url
            control = stack.enter_context(EmulatorControl(base_url))
            lockfile = args.out.parent / "onepin-sync.lock"  # the same lockfile, for this URL
            state = json.loads(args.lockfile.read_text(encoding="utf-8"))
            lockfile.write_text(json.dumps({**state, "api_url": base_url}), encoding="utf-8")

        def plan() -> dict[str, Any]:
            output = io.StringIO()
            command = ["plan", "--detailed-exitcode", "--dir", str(args.dir)]
            command += ["--lockfile", str(lockfile), "--base-url", base_url]
            command += ["--api-key", args.api_key]
            with contextlib.redirect_stdout(output):
                code = run(command)
            return {"outcome": _outcome(code, output.getvalue())}

        def naive() -> dict[str, Any]:
            asyncio.run(_get_each(base_url, args.api_key, lockfile))
            return {}

        measure = plan if args.mode == "plan" else naive
        w.worker_main(args.out, measure, profile=args.profile)
        if control is not None:
            records = control.requests(workspace_id=args.workspace)
            result = json.loads(args.out.read_text(encoding="utf-8"))
            result["requests"] = [(r.method, r.path, r.query, r.status) for r in records]
            args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


def _outcome(code: int, output: str) -> dict[str, int]:
    """The exit code and change counts the human view printed."""
    counts = {"create": 0, "update": 0, "delete": 0}
    summary = re.search(r"Plan: (\d+) to create, (\d+) to update, (\d+) to delete\.", output)
    if summary:
        counts = dict(zip(counts, map(int, summary.groups()), strict=True))
    elif "No changes." not in output:
        counts = {"create": -1, "update": -1, "delete": -1}  # neither: something went wrong
    return {"code": code, **counts}


async def _get_each(base_url: str, api_key: str, lockfile: Path) -> None:
    """The naive read: one GET per managed workflow, 8 at a time (the default parallelism).

    The GETs are gated here, as `apply` gates its writes: handing all N coroutines to the client
    at once costs O(N^2) or worse in its limiter's wake-ups (see the README's findings).
    """
    from onepin_sync.api.client import OnepinClient, SessionOptions
    from onepin_sync.state.lockfile import read_lockfile

    state = read_lockfile(lockfile)
    assert state is not None
    settings = SessionOptions(base_url=base_url, api_key=api_key)
    gate = asyncio.Semaphore(settings.parallelism)
    async with OnepinClient(settings) as client:

        async def get(workflow_id: str) -> bool:
            async with gate:
                return await client.get_workflow(workflow_id) is not None

        found = await asyncio.gather(*(get(e.id) for e in state.workflows.values()))
    assert all(found), "a managed workflow was missing"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker(sys.argv[2:]))
    sys.exit(main())
