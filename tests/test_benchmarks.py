"""The benchmark harness keeps working: every scenario at a tiny size, no timing asserted.

`benchmarks/run.py --tiny` runs each scenario once for onepin-sync and for the SDK peer, in
processes of their own against the emulator, and checks what they did from the request log
(exact counts, the plan, the writes). Targets are not checked at this size: timings belong to the
real run (BENCHMARKS.md).
"""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_scenario_runs_and_checks_out_at_a_tiny_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run  # benchmarks/run.py

    code = run.main(["--tiny", "--keep", str(tmp_path)])
    out, err = capsys.readouterr()

    assert "FAILED" not in err
    assert code == 0
    assert f"{os.cpu_count()} CPUs, Python {platform.python_version()}; load average" in out
    lines = [line for line in out.splitlines() if line.startswith("| ") and "scenario" not in line]
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]) for line in lines}
    scenarios = {scenario for scenario, _ in rows}
    assert len(scenarios) == 8  # --version, --help, three plans, two applies, rate-limited
    assert {tool for _, tool in rows} == {"onepin-sync", "peer"}
    assert len(rows) == 15  # the peer has no --help row
    assert all("WRONG" not in line for line in lines)
    latency_applies = [line for line in lines if re.match(r"\| apply \d+ \w+ @", line)]
    assert len(latency_applies) == 4  # creates and patches, ours and the peer's
    assert all("first write " in line and "; after " in line for line in latency_applies)
    del sys.modules["run"]


def test_the_http_client_cost_is_measured_over_loopback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import http_client_cost  # benchmarks/http_client_cost.py

    assert (
        http_client_cost.main(["--requests", "16", "--parallelism", "4", "--latency-ms", "5"]) == 0
    )
    out = capsys.readouterr().out
    assert re.fullmatch(
        r"httpx [\d.]+: \d+\.\d\d ms of CPU per request; 16 requests, 4 at a time, 5 ms latency: "
        r"\d+\.\d\d s = 4 x \d+\.\d ms\n",
        out,
    )
    del sys.modules["http_client_cost"]
