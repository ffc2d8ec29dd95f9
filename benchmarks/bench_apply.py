"""Benchmark `onepin-sync apply`: creating N workflows, and converging under rate limiting.

    .venv/bin/python benchmarks/bench_apply.py                      # every case below
    .venv/bin/python benchmarks/bench_apply.py --n 1000 --parallelism 8 --only create
    .venv/bin/python benchmarks/bench_apply.py --only create --profile apply.prof

Each case gets a fresh workspace of the embedded emulator (this process, 127.0.0.1) and an empty
lockfile, then runs `cli.run(["apply", "--auto-approve", ...])` in a fresh Python process, so wall
time and peak RSS are the command's own. Cases:

    create P=8|16   N creates (default 1,000) with --parallelism P. Requests must be exactly:
                    1 whoami + 1 node catalogue (both with the first listing page) + 1 listing
                    before (the workspace is empty) + N POSTs + ceil(N/100) verification listing
                    pages, all successful.
    rate-limit      200 creates against an emulator limiting the key to 600 requests/min whose
                    bucket other jobs have already spent, so every request waits for a token.
    429-storm       200 creates while a run of POSTs is answered 429 (Retry-After: 1).

The last two must converge (apply is re-run, as a user would, if a run gives up; at most 3 runs)
with no duplicates: exactly one workflow per file in the workspace and in the lockfile. A wrong
request count, a duplicate or a run that does not converge makes the script exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _workload as w

from onepin_sync.emulator.control import RequestRecord

SCRIPT = Path(__file__).resolve()
CASES = ("create", "rate-limit", "429-storm")
RATE_LIMIT_PER_MIN = 600
RATE_N = 200
STORM_FROM_POST = 20  # the storm starts at this POST ...
STORM_LENGTH = 30  # ... and answers this many POSTs in a row with 429
MAX_RUNS = 3


@dataclass(frozen=True)
class Measured:
    """Everything one case produced, for its row."""

    seconds: float
    runs: int
    exit_code: int
    peak_rss_mb: float
    requests: list[RequestRecord]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000, help="creates in the create cases")
    parser.add_argument("--parallelism", type=int, action="append", help="repeatable (8, 16)")
    parser.add_argument("--only", choices=CASES, action="append", help="cases to run")
    parser.add_argument("--profile", type=Path, help="cProfile one create run (first P)")
    parser.add_argument("--keep", type=Path, help="keep the scratch files in this folder")
    args = parser.parse_args(argv)
    cases = args.only or list(CASES)
    parallelisms = args.parallelism or [8, 16]
    rows: list[w.Row] = []
    with w.scratch(args.keep) as root:
        files = w.write_workflow_files(root / "workflows", args.n)
        few = w.write_workflow_files(root / f"workflows-{RATE_N}", RATE_N)
        if "create" in cases:
            with w.BenchEmulator(root / "emulator.db") as emulator:
                for p in parallelisms:
                    rows.append(create_case(root / f"create-p{p}", files, args.n, p, emulator))
                if args.profile is not None:
                    profile = args.profile.resolve()
                    p = parallelisms[0]
                    create_case(root / "profiled", files, args.n, p, emulator, profile)
        if "rate-limit" in cases:
            db = root / "emulator-limited.db"
            with w.BenchEmulator(db, rate_limit_per_min=RATE_LIMIT_PER_MIN) as emulator:
                rows.append(rate_case(root / "rate-limit", few, emulator, storm=False))
        if "429-storm" in cases:
            with w.BenchEmulator(root / "emulator-storm.db") as emulator:
                rows.append(rate_case(root / "429-storm", few, emulator, storm=True))
    w.print_table("apply (each run in a fresh process; the emulator in the harness)", rows)
    print(f"(plus {w.cli_startup_seconds():.2f} s per run to start Python and import the CLI)")
    if args.profile is not None:
        w.print_profile(args.profile)
    return w.exit_code(rows)


def create_case(
    case_dir: Path,
    files: Path,
    n: int,
    parallelism: int,
    emulator: w.BenchEmulator,
    profile: Path | None = None,
) -> w.Row:
    """N creates; checked request by request. A profiled run is checked but not a timing."""
    workspace = emulator.new_workspace()
    measured = apply_until_converged(case_dir, files, workspace, emulator, parallelism, profile)
    methods = Counter((r.method, r.path, r.status) for r in measured.requests)
    listing = [r for r in measured.requests if (r.method, r.path) == ("GET", w.LISTING_PATH)]
    expected = {
        ("GET", w.WHOAMI_PATH, 200): 1,
        ("GET", w.NODES_PATH, 200): 1,
        ("POST", w.LISTING_PATH, 201): n,
        ("GET", w.LISTING_PATH, 200): 1 + w.listing_pages(n),
    }
    problems = check_no_duplicates(case_dir, files, workspace, n)
    page_query = re.compile(r"include_definition=true&limit=100&offset=\d+")
    if dict(methods) != expected or not all(page_query.fullmatch(r.query) for r in listing):
        problems.append(f"REQUEST COUNT: {dict(methods)}, expected exactly {expected}")
    if measured.runs != 1 or measured.exit_code != 0:
        problems.append(f"{measured.runs} runs, last exit code {measured.exit_code}")
    report(f"create P={parallelism}", problems)
    total = sum(expected.values())
    return w.Row(
        case=f"create N={n:,} P={parallelism}",
        figures=figures(measured, n)
        | {"req/s": f"{len(measured.requests) / measured.seconds:.0f}"},
        target=f"exit 0, {total:,} req",
        ok=not problems,
    )


def rate_case(case_dir: Path, files: Path, emulator: w.BenchEmulator, *, storm: bool) -> w.Row:
    """RATE_N creates under a spent rate limit or a 429 storm: converges, no duplicates."""
    workspace = emulator.new_workspace()
    if storm:
        emulator.control.add_fault(
            kind="status",
            status=429,
            retry_after=1,
            method="POST",
            path=f"^{w.LISTING_PATH}$",
            nth=STORM_FROM_POST,
            times=STORM_LENGTH,
            workspace_id=workspace.workspace_id,
        )
    else:
        w.drain_rate_limit(workspace, RATE_LIMIT_PER_MIN)
    measured = apply_until_converged(case_dir, files, workspace, emulator, 8)
    created = sum(1 for r in measured.requests if r.method == "POST" and r.status == 201)
    problems = check_no_duplicates(case_dir, files, workspace, RATE_N)
    if measured.exit_code != 0:
        problems.append(f"did not converge in {MAX_RUNS} runs")
    if created != RATE_N:
        problems.append(f"{created} successful POSTs for {RATE_N} files")
    name = "429-storm" if storm else "rate-limit"
    report(name, problems)
    what = f"{STORM_LENGTH} POSTs 429" if storm else f"{RATE_LIMIT_PER_MIN}/min, spent"
    return w.Row(
        case=f"{name} N={RATE_N} ({what})",
        figures=figures(measured, RATE_N),
        target="converges, no duplicates",
        ok=not problems,
    )


def figures(measured: Measured, n: int) -> dict[str, str]:
    throttled = sum(1 for r in measured.requests if r.status == 429)
    return {
        "wall s": f"{measured.seconds:.2f}",
        "runs": str(measured.runs),
        "requests": f"{len(measured.requests):,}",
        "POST": str(sum(1 for r in measured.requests if r.method == "POST")),
        "429s": str(throttled),
        "peak RSS MB": f"{measured.peak_rss_mb:.0f}",
        "ms/create": f"{1000 * measured.seconds / n:.1f}",
    }


def apply_until_converged(
    case_dir: Path,
    files: Path,
    workspace: w.Workspace,
    emulator: w.BenchEmulator,
    parallelism: int,
    profile: Path | None = None,
) -> Measured:
    """`apply --auto-approve` in fresh processes until it exits 0 (at most MAX_RUNS runs)."""
    case_dir.mkdir(parents=True)
    emulator.control.clear_requests()
    seconds, peak, runs, code = 0.0, 0.0, 0, -1
    while runs < MAX_RUNS and code != 0:
        worker_args = [
            "--dir",
            str(files),
            "--lockfile",
            str(case_dir / "onepin-sync.lock"),
            "--base-url",
            workspace.base_url,
            "--api-key",
            workspace.api_key,
            "--parallelism",
            str(parallelism),
        ]
        if profile is not None:
            worker_args += ["--profile", str(profile)]
        result = w.run_worker(SCRIPT, worker_args)
        seconds += result.seconds
        peak = max(peak, result.peak_rss_mb)
        runs += 1
        code = result.extra["code"]
        if code != 0:
            print(f"{case_dir.name}: run {runs} exited {code}: {result.extra['tail']}")
    return Measured(seconds, runs, code, peak, emulator.requests(workspace))


def check_no_duplicates(case_dir: Path, files: Path, workspace: w.Workspace, n: int) -> list[str]:
    """Exactly one workflow per file, in the workspace and in the lockfile (after counting)."""
    from onepin_sync.files.loader import load_workflows

    remote = asyncio.run(_list_all(workspace))
    lock = json.loads((case_dir / "onepin-sync.lock").read_text(encoding="utf-8"))["workflows"]
    wanted = {d.spec.name for d in load_workflows(files, env={}).workflows.values()}
    names = Counter(r.name for r in remote)
    problems = []
    if len(remote) != n or set(names) != wanted or max(names.values(), default=1) > 1:
        dupes = [name for name, count in names.items() if count > 1]
        problems.append(f"DUPLICATES: {len(remote)} workflows for {n} files (twice: {dupes[:3]})")
    lock_ids = {entry["id"] for entry in lock.values()}
    if len(lock) != n or lock_ids != {r.id for r in remote}:
        problems.append(f"lockfile: {len(lock)} entries, {len(lock_ids)} ids, not the {n} listed")
    return problems


async def _list_all(workspace: w.Workspace) -> list[Any]:
    from onepin_sync.api.client import OnepinClient, SessionOptions

    settings = SessionOptions(base_url=workspace.base_url, api_key=workspace.api_key)
    async with OnepinClient(settings) as client:
        return await client.list_workflows()


def report(case: str, problems: list[str]) -> None:
    for problem in problems:
        print(f"{case}: {problem}", file=sys.stderr)


# --- the worker: one apply in a fresh process ----------------------------------------------------


def worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--lockfile", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--parallelism", required=True)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    from onepin_sync.cli import run  # imported before timing: start-up is measured apart

    def apply() -> dict[str, Any]:
        output = io.StringIO()
        command = ["apply", "--auto-approve", "--parallelism", args.parallelism]
        command += ["--dir", args.dir, "--lockfile", args.lockfile]
        command += ["--base-url", args.base_url, "--api-key", args.api_key]
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = run(command)
        return {"code": code, "tail": output.getvalue()[-600:]}

    w.worker_main(args.out, apply, profile=args.profile)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker(sys.argv[2:]))
    started = time.perf_counter()
    code = main()
    print(f"(bench_apply took {time.perf_counter() - started:.0f} s)")
    sys.exit(code)
