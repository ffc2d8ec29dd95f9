"""Benchmark the loader: N realistic workflow files -> DesiredState, time and peak RSS.

    .venv/bin/python benchmarks/bench_loader.py              # N = 1,000 and 10,000
    .venv/bin/python benchmarks/bench_loader.py --n 1000 --profile loader.prof

The harness writes N files (~10 nodes, ~3 KB each, as in examples/workflows; not timed); a fresh
Python process per N times `load_workflows(folder, env={})`: discovery, strict YAML parsing,
interpolation, checks and layout, exactly what every command does first. The page cache is warm
(the files were just written), as on a CI runner after checkout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _workload as w

SCRIPT = Path(__file__).resolve()


def time_limit(n: int) -> float:
    """1 ms per file (1 s for 1,000, 10 s for 10,000)."""
    return 1e-3 * n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="files (repeatable)")
    parser.add_argument("--profile", type=Path, help="cProfile the load at the last N")
    parser.add_argument("--keep", type=Path, help="keep the scratch files in this folder")
    args = parser.parse_args(argv)
    sizes = args.n or [1_000, 10_000]
    rows: list[w.Row] = []
    with w.scratch(args.keep) as root:
        for n in sizes:
            folder = w.write_workflow_files(root / f"n{n}", n)
            result = w.run_worker(SCRIPT, ["--dir", str(folder), "--expect", str(n)])
            limit = time_limit(n)
            rows.append(
                w.Row(
                    case=f"load N={n:,}",
                    figures={
                        "wall s": f"{result.seconds:.2f}",
                        "cpu s": f"{result.cpu_seconds:.2f}",
                        "ms/file": f"{1000 * result.seconds / n:.2f}",
                        "nodes/file": f"{result.extra['nodes'] / n:.1f}",
                        "peak RSS MB": f"{result.peak_rss_mb:.0f}",
                    },
                    target=f"< {limit:g} s",
                    ok=result.seconds < limit,
                )
            )
            if args.profile is not None and n == sizes[-1]:
                profile = args.profile.resolve()
                w.run_worker(SCRIPT, ["--dir", str(folder), "--profile", str(profile)])
    w.print_table("loader (each case in a fresh process; writing the files not timed)", rows)
    if args.profile is not None:
        w.print_profile(args.profile)
    return w.exit_code(rows)


def worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--expect", type=int)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)

    from onepin_sync.files.loader import load_workflows

    def load() -> dict[str, Any]:
        desired = load_workflows(args.dir, env={})
        if args.expect is not None and len(desired.workflows) != args.expect:
            raise SystemExit(f"loaded {len(desired.workflows)} workflows, not {args.expect}")
        nodes = sum(len(d.spec.definition["graph"]["nodes"]) for d in desired.workflows.values())
        return {"nodes": nodes}

    w.worker_main(args.out, load, profile=args.profile)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(worker(sys.argv[2:]))
    sys.exit(main())
