"""Measuring one command in a process of its own, and the table of rows `run.py` prints.

`spawn` starts `python benchmarks/_probe.py OUT COMMAND...` with a clean environment (`HOME` a
scratch folder, no `ONEPIN_*` variables, `NO_COLOR`), waits for it with `os.wait4` and returns:
wall time (a monotonic clock around start and reaping), the child's own CPU time (user + system,
from `wait4`'s resource usage of that one process), its peak RSS (`VmHWM`, which the probe reads
inside the child as it ends), its exit code and what it printed, and the Unix time it was started
(to compare with the emulator's `received_at`).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROBE = Path(__file__).resolve().with_name("_probe.py")


@dataclass(frozen=True)
class Run:
    """One finished process."""

    wall: float
    cpu: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str
    started_at: float


def clean_environment(home: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ONEPIN_")}
    return environment | {"HOME": str(home), "NO_COLOR": "1"}


def compile_bytecode(python: str) -> None:
    """Write the bytecode of the onepin-sync that `python` imports, so every run loads it as an
    installed package does. An editable checkout under `PYTHONDONTWRITEBYTECODE` (set in many CI
    images and shells) would otherwise compile each module again at every start: 0.3 s of a
    plan's first request here, and a before/after comparison of two checkouts measuring that."""
    code = (
        "import compileall, os, onepin_sync; "
        "compileall.compile_dir(os.path.dirname(onepin_sync.__file__), quiet=1)"
    )
    subprocess.run([python, "-c", code], check=True)


def spawn(
    command: Sequence[str], workdir: Path, *, python: str = sys.executable, probe: bool = True
) -> Run:
    """Run `python [probe OUT] COMMAND...` in `workdir` (created) and measure it."""
    workdir.mkdir(parents=True, exist_ok=True)
    peak_file = workdir / "peak-kib"
    peak_file.unlink(missing_ok=True)
    prefix = [python, str(PROBE), str(peak_file)] if probe else [python]
    with (workdir / "stdout").open("w+") as out, (workdir / "stderr").open("w+") as err:
        started_at, t0 = time.time(), time.perf_counter()
        process = subprocess.Popen(
            [*prefix, *command], cwd=workdir, env=clean_environment(workdir), stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - t0
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = int(peak_file.read_text(encoding="ascii")) / 1024 if peak_file.exists() else math.nan
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=peak,
        code=process.returncode,
        stdout=stdout,
        stderr=stderr,
        started_at=started_at,
    )


@dataclass
class Row:
    """One line of the table: a scenario run by one tool, `runs` times."""

    scenario: str
    tool: str
    runs: list[Run] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    first_requests: list[float] = field(default_factory=list)  # seconds from start, per run
    floor: float | None = None
    target: str = ""
    missed: list[str] = field(default_factory=list)  # targets missed
    wrong: list[str] = field(default_factory=list)  # correctness problems (counts, results)
    notes: list[str] = field(default_factory=list)

    def median(self, figure: str) -> float:
        return statistics.median(getattr(run, figure) for run in self.runs)

    @property
    def verdict(self) -> str:
        if self.wrong:
            return "WRONG"
        if self.missed:
            return "MISSED"
        return "ok" if self.target else ""


COLUMNS = (
    "scenario",
    "tool",
    "runs",
    "requests",
    "wall s",
    "cpu s",
    "peak MB",
    "floor s",
    "x floor",
    "target",
    "verdict",
    "notes",
)


def cells(row: Row) -> list[str]:
    if not row.runs:
        return [row.scenario, row.tool, "0", *[""] * 7, row.verdict, "; ".join(row.notes)]
    wall = row.median("wall")
    requests = sorted(set(row.requests))
    return [
        row.scenario,
        row.tool,
        str(len(row.runs)),
        "/".join(f"{r:,}" for r in requests) if any(requests) else "-",
        f"{wall:.3f}" if wall < 1 else f"{wall:.2f}",
        f"{row.median('cpu'):.2f}",
        f"{row.median('peak_mb'):.0f}",
        "" if row.floor is None else f"{row.floor:.3f}",
        "" if row.floor is None else f"{wall / row.floor:.1f}",
        row.target,
        row.verdict,
        "; ".join(row.notes),
    ]


def machine() -> str:
    """What the figures were measured on, for the line above the table: the same code gives
    figures a third apart on two kinds of virtual machine, so a table says which it was."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        model = names[0] if names else model
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine inflates wall times."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (readable in a terminal, pasteable into BENCHMARKS.md)."""
    body = [cells(row) for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in body)) for i, c in enumerate(COLUMNS)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(COLUMNS), separator, *(line(values) for values in body)])
