"""An apply under a key whose bucket other jobs have already spent, over real HTTP: the client
waits out every 429 (none uses up a retry), creates each workflow exactly once, and spends
exactly one successful request per write and listing page. The pacing itself (how few 429s,
how close to the key's rate) is asserted on a fake clock in `tests/api/test_client_pacing.py`
and measured in the benchmarks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl
from onepin_sync.emulator.embedded import EmbeddedEmulator
from tests.e2e.support import NODES, WHOAMI, WORKFLOWS
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject, fresh_workspace, new_project

PER_MINUTE = 1800  # 30 a second: the bucket refills fast enough for a short test
COUNT = 20


@pytest.fixture(scope="module", params=[False, True], ids=["retry-after", "ratelimit-headers"])
def limited(request: pytest.FixtureRequest) -> Iterator[tuple[EmbeddedEmulator, EmulatorControl]]:
    headers: bool = request.param
    with (
        EmbeddedEmulator(
            ":memory:",
            control=True,
            rate_limit_per_min=PER_MINUTE,
            rate_limit_spent=True,
            rate_limit_headers=headers,
        ) as emulator,
        EmulatorControl(emulator.base_url) as control,
    ):
        yield emulator, control


@pytest.fixture
def project(
    limited: tuple[EmbeddedEmulator, EmulatorControl],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> SyncProject:
    _, control = limited
    return new_project(fresh_workspace(control), tmp_path, monkeypatch)


def test_an_apply_under_a_spent_bucket_waits_out_every_429(project: SyncProject) -> None:
    for n in range(COUNT):
        project.write(f"team/flow-{n:02d}", tiny_workflow(f"Flow {n:02d}"))

    applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    sent = project.workspace.requests()
    refused = [r for r in sent if r.status == 429]
    assert refused
    assert all(r.fault == "rate_limit" for r in refused)
    refused_creates = sum(1 for r in refused if r.method == "POST")
    answered = Counter((r.method, r.path, r.status) for r in sent if r.status != 429)
    assert answered == {
        ("GET", WHOAMI, 200): 1,
        ("GET", NODES, 200): 1,
        # the listing before, the verification listing, and one search per refused create
        # (a refused create is looked for before it is sent again: it made nothing)
        ("GET", WORKFLOWS, 200): 2 + refused_creates,
        ("POST", WORKFLOWS, 201): COUNT,  # each workflow created exactly once
    }
    assert len(project.lock_entries()) == COUNT


def test_the_buckets_headers_describe_it(
    limited: tuple[EmbeddedEmulator, EmulatorControl], project: SyncProject
) -> None:
    emulator, _ = limited
    headers = emulator.options.rate_limit_headers
    with httpx.Client(base_url=emulator.base_url, headers=project.workspace.headers) as http:
        refused = http.get(WHOAMI)  # the bucket starts spent
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    described = {k: refused.headers.get(k) for k in ("x-ratelimit-limit", "x-ratelimit-remaining")}
    if headers:
        assert described == {"x-ratelimit-limit": str(PER_MINUTE), "x-ratelimit-remaining": "0"}
        assert int(refused.headers["x-ratelimit-reset"]) > 0
    else:
        assert described == {"x-ratelimit-limit": None, "x-ratelimit-remaining": None}
