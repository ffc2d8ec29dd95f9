"""Every benchmark in one command: each scenario in processes of its own, against the emulator.

    .venv/bin/python benchmarks/run.py                 # every row, median of 3 runs
    .venv/bin/python benchmarks/run.py --quick         # smaller sizes, 1 run (a few minutes)
    .venv/bin/python benchmarks/run.py --only plan-1k --only startup --runs 5
    .venv/bin/python benchmarks/run.py --profile DIR   # + one pyinstrument profile per row

Prints the machine (CPU model, CPUs, Python) with the load average at the start and the end,
then one table (Markdown) with, for onepin-sync and for the peer (`peer_sdk.py`, the script a
user would write with the official SDK), the requests, wall time, the client's CPU time and
peak RSS (medians), the floor and the ratio to it, and exits 1 when a target is missed or a
result is wrong (a request count, a plan, a convergence). See BENCHMARKS.md for the rows, their
floors and targets. The emulator runs in this process on 127.0.0.1; nothing else is contacted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import _harness as h
import _scenarios as s


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 1 run each")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, targets not checked")
    parser.add_argument("--runs", type=int, help="runs per row (default 3; --quick 1)")
    parser.add_argument("--only", choices=s.SCENARIOS, action="append", help="repeatable")
    parser.add_argument("--no-peer", action="store_true", help="onepin-sync rows only")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile per row here")
    parser.add_argument("--keep", type=Path, help="keep the scratch files in this folder")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the onepin-sync to measure (another checkout's venv; default: this)",
    )
    args = parser.parse_args(argv)
    sizes = s.TINY if args.tiny else s.QUICK if args.quick else s.FULL
    runs = args.runs or (1 if args.quick or args.tiny else 3)
    root = args.keep or Path(tempfile.mkdtemp(prefix="onepin-bench-"))
    settings = s.Settings(
        root=root,
        sizes=sizes,
        runs=runs,
        peer=not args.no_peer,
        targets=not args.tiny,
        profile=args.profile.resolve() if args.profile else None,
        python=args.python,
    )
    h.compile_bytecode(args.python)
    rows: list[h.Row] = []
    load_before = h.load_average()
    try:
        with s.Emulators(root, args.python) as emulators:
            for name in args.only or s.SCENARIOS:
                print(f"running {name} ...", file=sys.stderr, flush=True)
                done = s.SCENARIOS[name](settings, emulators)
                for row in done:  # as it goes, in case a long run is stopped
                    print(" | ".join(h.cells(row)), file=sys.stderr, flush=True)
                rows += done
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"{h.machine()}; load average {load_before} at the start, {h.load_average()} at the end\n"
    )
    print(h.table(rows))
    failed = [f"{r.scenario} ({r.tool}): {'; '.join(r.wrong + r.missed)}" for r in rows]
    failed = [line for line, r in zip(failed, rows, strict=True) if r.wrong or r.missed]
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
