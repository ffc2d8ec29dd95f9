"""Benchmark the field-level diff (`core.diff.differences`, deepdiff underneath) of N changed
workflows: what `plan` spends on the workflows whose hashes say they changed.

    .venv/bin/python benchmarks/bench_diff.py              # N = 1,000
    .venv/bin/python benchmarks/bench_diff.py --n 1000 --n 5000 --profile diff.prof

Per N, the harness writes the N workflow files of `_workload.py` and their edited copies (a
voice speed and every validator threshold changed), loads both with the library's loader (not
timed), and turns the originals into what a server returns (config defaults filled,
`config_version` added, positions as floats). The measured case diffs each workspace copy
against its edited file exactly as the planner does, with the bundled node catalogue:

    changed         N changed workflows, no ignore rules: every edit must be found
    ignored         the same with `lifecycle.ignore_changes` on the voice speed and every
                    position (the patterns become deepdiff exclusions): the speed edits vanish

Target: under 1 s for 1,000 workflows (1 ms per workflow). The script checks the number of
differences found and exits 1 when a count is wrong or the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _workload as w

from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import Comparison, IgnoreRules, comparable
from onepin_sync.core.models import WorkflowSpec
from onepin_sync.files.loader import load_workflows

PER_WORKFLOW_LIMIT = 1e-3  # CPU seconds: 1 s for 1,000
IGNORED = ("definition.graph.nodes[voice].config.speed", "definition.graph.nodes[*].position")


def served(spec: WorkflowSpec) -> WorkflowSpec:
    """What a server returns for `spec`: defaults filled, config_version, float positions."""
    definition = dict(comparable(spec).definition)
    graph = dict(definition["graph"])
    nodes = []
    for node in graph["nodes"]:
        position = node["position"]
        moved = {"x": float(position["x"]), "y": float(position["y"])}
        nodes.append({**node, "config_version": 3, "position": moved})
    definition["graph"] = {**graph, "nodes": nodes}
    return spec.model_copy(update={"definition": definition})


def load_pairs(root: Path, n: int) -> list[tuple[WorkflowSpec, WorkflowSpec]]:
    """(workspace copy, edited file) for each of the N workflows."""
    original = w.write_workflow_files(root / "original", n)
    edited = root / "edited"
    for index in range(n):
        w.write_workflow_file(edited, index, w.edited_document(index))
    before = load_workflows(original, env={}).workflows
    after = load_workflows(edited, env={}).workflows
    return [(served(before[key].spec), after[key].spec) for key in sorted(before)]


def measure(
    pairs: list[tuple[WorkflowSpec, WorkflowSpec]], comparison: Comparison
) -> tuple[float, float, int]:
    """Wall and CPU seconds to diff every pair, and how many field changes were found."""
    started, cpu = time.perf_counter(), time.process_time()
    found = sum(len(differences(remote, desired, comparison).changes) for remote, desired in pairs)
    return time.perf_counter() - started, time.process_time() - cpu, found


def expected_changes(pairs: list[tuple[WorkflowSpec, WorkflowSpec]], ignored: bool) -> int:
    """One change per edited validator threshold, plus the voice speed unless ignored."""
    count = 0
    for _, desired in pairs:
        for node in desired.definition["graph"]["nodes"]:
            if node["type"].startswith("validator_") or (node["id"] == "voice" and not ignored):
                count += 1
    return count


@dataclass(frozen=True)
class Row:
    case: str
    cpu: float
    wall: float
    found: int
    want: int
    limit: float

    @property
    def ok(self) -> bool:
        return self.cpu < self.limit and self.found == self.want


def run(n: int, profile: Path | None) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="onepin-bench-") as tmp:
        pairs = load_pairs(Path(tmp), n)
    limit = PER_WORKFLOW_LIMIT * n
    rows = []
    cases: dict[str, tuple[Comparison, bool]] = {
        "changed": (Comparison(), False),
        "ignored": (Comparison(ignore=IgnoreRules(paths=IGNORED)), True),
    }
    for case, (comparison, ignored) in cases.items():
        measure(pairs[: min(50, n)], comparison)  # warm the imports and caches
        seconds, cpu, found = measure(pairs, comparison)
        want = expected_changes(pairs, ignored)
        rows.append(Row(f"{case} N={n}", cpu, seconds, found, want, limit))
    if profile is not None:
        comparison = cases["changed"][0]
        _profile(lambda: measure(pairs, comparison), profile)
    return rows


def _profile(call: Callable[[], Any], path: Path) -> None:
    import cProfile
    import pstats

    cProfile.runctx("call()", globals(), {"call": call}, str(path))
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="workflows (default 1,000)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the changed case")
    args = parser.parse_args(argv)
    rows = [row for n in args.n or [1000] for row in run(n, args.profile)]
    print("\nField diff of changed workflows (core.diff.differences)")
    print(f"{'case':16} {'cpu s':>7} {'wall s':>7} {'changes':>18}  target       verdict")
    for r in rows:
        changes = f"{r.found} (want {r.want})"
        target = f"cpu < {r.limit:.1f} s"
        verdict = "ok" if r.ok else "MISSED"
        print(f"{r.case:16} {r.cpu:7.3f} {r.wall:7.3f} {changes:>18}  {target}  {verdict}")
    missed = [r.case for r in rows if not r.ok]
    if missed:
        print(f"\nMISSED: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
