"""The rows of `run.py`: how each scenario is set up, run, checked and held to its target.

Every scenario runs onepin-sync (`python -m onepin_sync ...`, the console script's code) and the
peer (`peer_sdk.py`) in fresh processes against the embedded emulator, checks what they did from
the emulator's request log (exact counts; a wrong count is a WRONG row, not a slow one) and
compares the medians with the floor: what no client can beat, `python -c pass` plus the
round trips the scenario needs at the emulator's added latency (or, under a rate limit, the
writes divided by the rate).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import _harness as h
import _workload as w

from onepin_sync.emulator.control import RequestRecord

PEER = Path(__file__).resolve().with_name("peer_sdk.py")
PARALLELISM = 8  # onepin-sync's default --parallelism
SDK_PAGE = 20  # the server's default page size, which the SDK's `list()` gets
PLAN_LATENCY_MS = 20.0
APPLY_LATENCY_MS = 50.0
STARTUP_TARGET = 0.120  # seconds: `--version`, `--help`
FIRST_REQUEST_TARGET = 0.250  # seconds from the process's start to its first request
CPU_PER_WORKFLOW_TARGET = 0.4e-3  # seconds of client CPU per workflow, no-change plan
MEMORY_TARGET_MB = 300.0
APPLY_FACTOR = 1.3  # apply: wall <= 1.3 x network floor + STARTUP_TARGET
RATE_FACTOR = 1.1  # rate-limited apply: wall <= 1.1 x W / R
RATE_WARMUP = 10.0  # seconds after which 429s count against the target ...
RATE_429_SHARE = 0.05  # ... which is fewer than 5% of the requests answered 429


@dataclass(frozen=True)
class Sizes:
    plan_small: int
    plan_large: int
    memory: int
    memory_script_chars: int
    apply: int
    rate: int
    rate_per_min: int = 600


FULL = Sizes(1_000, 10_000, 10_000, 27_000, 200, 300)
QUICK = Sizes(1_000, 2_000, 2_000, 27_000, 100, 150)
TINY = Sizes(12, 20, 10, 27_000, 8, 4, rate_per_min=120)  # the smoke test: a bucket quick to spend


@dataclass(frozen=True)
class Settings:
    root: Path
    sizes: Sizes
    runs: int
    peer: bool
    targets: bool
    profile: Path | None
    python: str  # the interpreter (and so the installation) of the onepin-sync measured


class Emulators:
    """One emulator per (latency, rate limit), started when first needed; `python -c pass`."""

    def __init__(self, root: Path, python: str) -> None:
        self.root = root
        self.python = python
        self._stack = ExitStack()
        self._started: dict[tuple[float, int | None], w.BenchEmulator] = {}
        self._interpreter: float | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()

    def get(self, latency_ms: float = 0.0, rate: int | None = None) -> w.BenchEmulator:
        if (latency_ms, rate) not in self._started:
            db = self.root / f"emulator-{latency_ms:g}ms-{rate or 'unlimited'}.db"
            emulator = w.BenchEmulator(db, rate_limit_per_min=rate, latency_ms=latency_ms)
            self._started[latency_ms, rate] = self._stack.enter_context(emulator)
        return self._started[latency_ms, rate]

    def interpreter(self) -> float:
        """Median wall time of `python -c pass`: the start-up no Python tool can beat."""
        if self._interpreter is None:
            floor = self.root / "floor"
            runs = [
                h.spawn(["-c", "pass"], floor, python=self.python, probe=False) for _ in "12345"
            ]
            self._interpreter = sorted(r.wall for r in runs)[2]
        return self._interpreter


Prepare = Callable[[int], tuple[list[str], w.Workspace | None]]
Check = Callable[[h.Run, list[RequestRecord]], list[str]]


def measure(
    row: h.Row,
    settings: Settings,
    emulator: w.BenchEmulator | None,
    prepare: Prepare,
    check: Check,
    runs: int,
) -> h.Row:
    """Run `prepare(i)`'s command `runs` times; each run's requests are counted and checked."""
    for i in range(runs):
        command, workspace = prepare(i)
        if emulator is not None:
            emulator.control.clear_requests()
        python = settings.python if row.tool == "onepin-sync" else sys.executable
        run = h.spawn(
            command, settings.root / "runs" / f"{row.scenario}-{row.tool}-{i}", python=python
        )
        records = emulator.requests(workspace) if emulator and workspace else []
        row.runs.append(run)
        row.requests.append(len(records))
        row.first_requests.append(first_request(run, records))
        problems = check(run, records)
        if run.code != 0:
            problems.append(f"exit {run.code}: {(run.stderr or run.stdout).strip()[-300:]}")
        row.wrong += [f"run {i + 1}: {p}" for p in problems]
    if settings.profile is not None and row.tool == "onepin-sync":
        command, _ = prepare(runs)
        out = settings.profile / (re.sub(r"[^A-Za-z0-9.@=-]+", "-", row.scenario) + ".txt")
        settings.profile.mkdir(parents=True, exist_ok=True)
        profiled = ["-m", "pyinstrument", "-r", "text", "-o", str(out), *command]
        workdir = settings.root / "runs" / f"{row.scenario}-profile"
        done = h.spawn(profiled, workdir, python=settings.python, probe=False)
        if done.code != 0 or not out.exists():
            row.notes.append("no profile: " + " ".join((done.stderr or done.stdout).split()[-30:]))
    return row


def ours(*args: str | Path) -> list[str]:
    return ["-m", "onepin_sync", *map(str, args)]


def peer(*args: str | Path) -> list[str]:
    return [str(PEER), *map(str, args)]


def target(row: h.Row, settings: Settings, text: str, met: bool, missed: str) -> None:
    """State a target on the row; record it missed (unless targets are off, as in --tiny)."""
    row.target = text
    if settings.targets and not met:
        row.missed.append(missed)


def pairs(settings: Settings) -> Iterator[str]:
    yield "onepin-sync"
    if settings.peer:
        yield "peer"


def counted(records: list[RequestRecord], method: str, path: str, status: int) -> int:
    return sum(1 for r in records if (r.method, r.path, r.status) == (method, path, status))


def first_request(run: h.Run, records: list[RequestRecord]) -> float:
    return min(r.received_at for r in records) - run.started_at if records else math.nan


# --- start-up ------------------------------------------------------------------------------------


def startup(settings: Settings, emulators: Emulators) -> list[h.Row]:
    rows = []
    floor = emulators.interpreter()
    for flag in ("--version", "--help"):
        for tool in pairs(settings):
            if tool == "peer" and flag == "--help":
                continue  # the peer has one start-up: importing the SDK and PyYAML
            row = h.Row(f"start-up {flag}", tool, floor=floor)
            command = ours(flag) if tool == "onepin-sync" else peer(flag)

            def check(run: h.Run, _: list[RequestRecord]) -> list[str]:
                return [] if run.stdout.strip() else ["printed nothing"]

            runs = max(5, settings.runs) if settings.targets else settings.runs
            measure(row, settings, None, lambda _, c=command: (c, None), check, runs)
            if tool == "onepin-sync":
                wall = row.median("wall")
                target(
                    row,
                    settings,
                    f"<= {STARTUP_TARGET:g} s",
                    wall <= STARTUP_TARGET,
                    f"wall {wall:.3f} s > {STARTUP_TARGET:g} s",
                )
            rows.append(row)
    return rows


# --- no-change plans -----------------------------------------------------------------------------


def plan_rows(
    settings: Settings, emulators: Emulators, name: str, n: int, latency_ms: float, chars: int = 0
) -> list[h.Row]:
    """A no-change plan over N managed workflows: ours and the peer's, on one seeded workspace."""
    emulator = emulators.get(latency_ms)
    case = settings.root / name.split()[0] / str(n)
    files = w.write_workflow_files(case / "workflows", n, script_chars=chars)
    lockfile = case / "onepin-sync.lock"
    workspace = emulator.seeded_workspace(files, lockfile)
    pages = w.listing_pages(n)
    # whoami, nodes and the first page together, then the other pages PARALLELISM at a time
    rounds = 1 + math.ceil((pages - 1) / PARALLELISM)
    floor = emulators.interpreter() + rounds * latency_ms / 1000
    connect = ("--base-url", workspace.base_url, "--api-key", workspace.api_key)
    rows = []
    for tool in pairs(settings):
        row = h.Row(name, tool, floor=floor)
        if tool == "onepin-sync":
            command = ours("plan", "--dir", files, "--lockfile", lockfile, *connect)
            expected, verdict = w.SESSION_REQUESTS + pages, "No changes."
        else:
            command = peer("--dir", files, *connect)
            expected = max(1, math.ceil(n / SDK_PAGE)) + n
            verdict = f"create 0, patch 0, unchanged {n}"

        def check(
            run: h.Run, records: list[RequestRecord], e: int = expected, v: str = verdict
        ) -> list[str]:
            problems = [] if v in run.stdout else [f"not {v!r}: {run.stdout.strip()[-200:]}"]
            if len(records) != e or any(r.status != 200 for r in records):
                problems.append(f"{len(records)} requests, expected exactly {e}, all 200")
            return problems

        runs = settings.runs if tool == "onepin-sync" else 1
        measure(row, settings, emulator, lambda _, c=command: (c, workspace), check, runs)
        row.notes.append(f"cpu {1000 * row.median('cpu') / n:.2f} ms/workflow")
        first = median_of(row.first_requests)
        row.notes.append(f"first request {1000 * first:.0f} ms")
        rows.append(row)
    return rows


def median_of(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else math.nan


def plan_small(settings: Settings, emulators: Emulators) -> list[h.Row]:
    n = settings.sizes.plan_small
    name = f"plan N={n:,} @{PLAN_LATENCY_MS:g}ms"
    rows = plan_rows(settings, emulators, name, n, PLAN_LATENCY_MS)
    first = median_of(rows[0].first_requests)
    target(
        rows[0],
        settings,
        f"first request <= {FIRST_REQUEST_TARGET:g} s",
        first <= FIRST_REQUEST_TARGET,
        f"first request after {first:.3f} s",
    )
    return rows


def plan_large(settings: Settings, emulators: Emulators) -> list[h.Row]:
    n = settings.sizes.plan_large
    rows = plan_rows(settings, emulators, f"plan N={n:,}", n, 0.0)
    per = rows[0].median("cpu") / n
    limit = CPU_PER_WORKFLOW_TARGET
    text = f"cpu <= {1000 * limit:g} ms/workflow"
    target(rows[0], settings, text, per <= limit, f"cpu {1000 * per:.2f} ms/workflow")
    return rows


def memory(settings: Settings, emulators: Emulators) -> list[h.Row]:
    sizes = settings.sizes
    n = sizes.memory
    name = f"plan N={n:,} ~30KB"
    rows = plan_rows(settings, emulators, name, n, 0.0, sizes.memory_script_chars)
    peak = rows[0].median("peak_mb")
    ok = peak < MEMORY_TARGET_MB
    target(rows[0], settings, f"peak < {MEMORY_TARGET_MB:g} MB", ok, f"peak {peak:.0f} MB")
    return rows


# --- apply ---------------------------------------------------------------------------------------


def apply_rows(settings: Settings, emulators: Emulators, patches: bool) -> list[h.Row]:
    """W creates into an empty workspace, or W patches of seeded workflows, at 50 ms latency."""
    emulator = emulators.get(APPLY_LATENCY_MS)
    size = settings.sizes.apply
    name = f"apply {size} {'patches' if patches else 'creates'} @{APPLY_LATENCY_MS:g}ms"
    case = settings.root / ("apply-patches" if patches else "apply-creates")
    originals = w.write_workflow_files(case / "workflows", size)
    edited = w.write_workflow_files(case / "edited", size, edited=True) if patches else originals
    network = APPLY_LATENCY_MS / 1000 * (2 + math.ceil(size / PARALLELISM))
    floor = emulators.interpreter() + network
    pages = w.listing_pages(size)
    rows = []
    for tool in pairs(settings):
        row = h.Row(name, tool, floor=floor)
        timelines: list[Timeline] = []

        def prepare(i: int, tool: str = tool) -> tuple[list[str], w.Workspace]:
            lockfile = case / f"{tool}-{i}" / "onepin-sync.lock"
            lockfile.parent.mkdir(parents=True)
            ws = emulator.seeded_workspace(originals, lockfile) if patches else None
            ws = ws or emulator.new_workspace()
            connect = ("--base-url", ws.base_url, "--api-key", ws.api_key)
            if tool == "peer":
                return peer("--apply", "--dir", edited, *connect), ws
            flags = ("--auto-approve", "--parallelism", str(PARALLELISM))
            return ours("apply", *flags, "--dir", edited, "--lockfile", lockfile, *connect), ws

        def check(
            run: h.Run,
            records: list[RequestRecord],
            tool: str = tool,
            timelines: list[Timeline] = timelines,
        ) -> list[str]:
            method, status = ("PATCH", 200) if patches else ("POST", 201)
            path = f"{w.LISTING_PATH}/" if patches else w.LISTING_PATH
            written = [
                r
                for r in records
                if (r.method, r.status) == (method, status) and r.path.startswith(path)
            ]
            writes = len(written)
            if written:
                timelines.append(Timeline.of(run, written))
            if tool == "peer":
                expected = math.ceil(size / SDK_PAGE) * patches + 1 * (not patches)
                expected += size * (2 if patches else 1)
            else:
                expected = w.SESSION_REQUESTS + (pages if patches else 1) + size + pages
            problems = [] if writes == size else [f"{writes} {method}s for {size} files"]
            if len(records) != expected:
                problems.append(f"{len(records)} requests, expected exactly {expected}")
            return problems

        runs = settings.runs if tool == "onepin-sync" else 1
        measure(row, settings, emulator, prepare, check, runs)
        if timelines:
            rounds = math.ceil(size / PARALLELISM) if tool == "onepin-sync" else size
            row.notes.append(Timeline.median(timelines).note(APPLY_LATENCY_MS, rounds))
        if tool == "onepin-sync":
            limit = APPLY_FACTOR * network + STARTUP_TARGET
            wall = row.median("wall")
            text = f"<= {APPLY_FACTOR:g} x {network:.2f} + {STARTUP_TARGET:g} = {limit:.2f} s"
            target(row, settings, text, wall <= limit, f"wall {wall:.2f} s > {limit:.2f} s")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Timeline:
    """Where an apply's wall time went, from the request log alone (so alike for both tools):
    until its first write arrived, the writes (first arrival to last answer), and after them
    (the verification listing, the lockfile, exiting); with the server's own time per write
    (the emulator's, beyond its added latency)."""

    before: float  # seconds from the process's start to the first write's arrival
    writing: float  # seconds from the first write's arrival to the last write's answer
    after: float  # seconds from the last write's answer to the process's end
    server_ms: float  # median time a write spent in the emulator, latency included

    @classmethod
    def of(cls, run: h.Run, writes: list[RequestRecord]) -> Timeline:
        first = min(r.received_at for r in writes)
        last = max(r.received_at + r.duration_ms / 1000 for r in writes)
        return cls(
            before=first - run.started_at,
            writing=last - first,
            after=run.started_at + run.wall - last,
            server_ms=median_of([r.duration_ms for r in writes]),
        )

    @classmethod
    def median(cls, timelines: list[Timeline]) -> Timeline:
        return cls(
            before=median_of([t.before for t in timelines]),
            writing=median_of([t.writing for t in timelines]),
            after=median_of([t.after for t in timelines]),
            server_ms=median_of([t.server_ms for t in timelines]),
        )

    def note(self, latency_ms: float, rounds: int) -> str:
        """`rounds`: how many writes the tool makes one after another (W / C, or W)."""
        each = 1000 * self.writing / rounds
        server = self.server_ms - latency_ms
        return (
            f"first write {self.before:.2f} s; writes {self.writing:.2f} s = {rounds} x "
            f"{each:.0f} ms (server {server:.1f} ms of each); after {self.after:.2f} s"
        )


def apply_creates(settings: Settings, emulators: Emulators) -> list[h.Row]:
    return apply_rows(settings, emulators, patches=False)


def apply_patches(settings: Settings, emulators: Emulators) -> list[h.Row]:
    return apply_rows(settings, emulators, patches=True)


# --- rate-limited apply --------------------------------------------------------------------------


def rate_limited(settings: Settings, emulators: Emulators) -> list[h.Row]:
    """W creates under a key whose bucket (600/min) other jobs have spent."""
    emulator = emulators.get(0.0, settings.sizes.rate_per_min)
    size, per_minute = settings.sizes.rate, settings.sizes.rate_per_min
    rate = per_minute / 60
    case = settings.root / "rate-limited"
    files = w.write_workflow_files(case / "workflows", size)
    rows = []
    for tool in pairs(settings):
        row = h.Row(f"apply {size} creates, {per_minute}/min spent", tool, floor=size / rate)

        def prepare(i: int, tool: str = tool) -> tuple[list[str], w.Workspace]:
            lockfile = case / f"{tool}-{i}" / "onepin-sync.lock"
            lockfile.parent.mkdir(parents=True)
            ws = emulator.new_workspace()
            w.drain_rate_limit(ws, per_minute)
            connect = ("--base-url", ws.base_url, "--api-key", ws.api_key)
            if tool == "peer":
                return peer("--apply", "--dir", files, *connect), ws
            return ours(
                "apply", "--auto-approve", "--dir", files, "--lockfile", lockfile, *connect
            ), ws

        refused: list[tuple[int, int, int]] = []

        def check(
            run: h.Run, records: list[RequestRecord], refused: list[tuple[int, int, int]] = refused
        ) -> list[str]:
            late = [r for r in records if r.received_at >= run.started_at + RATE_WARMUP]
            late_429 = sum(1 for r in late if r.status == 429)
            refused.append((sum(1 for r in records if r.status == 429), late_429, len(late)))
            created = counted(records, "POST", w.LISTING_PATH, 201)
            return [] if created == size else [f"{created} workflows created for {size} files"]

        measure(row, settings, emulator, prepare, check, 1)
        total, late_429, late = refused[-1]
        share = late_429 / late if late else 0.0
        row.notes.append(
            f"429s {total}; after {RATE_WARMUP:g} s {late_429} of {late} ({100 * share:.1f}%)"
        )
        if tool == "onepin-sync":
            limit = RATE_FACTOR * size / rate
            wall = row.median("wall")
            met = wall <= limit and share < RATE_429_SHARE
            text = f"<= {limit:.0f} s, < {100 * RATE_429_SHARE:g}% 429 after {RATE_WARMUP:g} s"
            target(row, settings, text, met, f"wall {wall:.1f} s, {100 * share:.1f}% 429")
        rows.append(row)
    return rows


SCENARIOS: dict[str, Callable[[Settings, Emulators], list[h.Row]]] = {
    "startup": startup,
    "plan-1k": plan_small,
    "plan-10k": plan_large,
    "memory": memory,
    "apply-creates": apply_creates,
    "apply-patches": apply_patches,
    "rate-limited": rate_limited,
}
