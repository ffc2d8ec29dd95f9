"""The request budget, asserted exactly: a plan costs one `whoami` (the key's workspace), one
read of the node catalogue and ceil(N/100) list requests, asked together, and nothing else; an
apply costs one write per change plus the listings around it."""

from __future__ import annotations

import math
from urllib.parse import parse_qs

import pytest

from tests.e2e.support import RUN_START, WORKFLOWS, calls, first_calls, recorded, seed, writes
from tests.sync_project import SyncProject


@pytest.mark.parametrize("count", [0, 1, 100, 101, 250])
def test_a_no_change_plan_costs_one_list_request_per_hundred_workflows(
    project: SyncProject, count: int
) -> None:
    seed(project, count)

    with recorded(project.workspace) as sent:
        planned = project.run("plan", "--detailed-exitcode")

    assert planned.code == 0, planned.output
    pages = max(1, math.ceil(count / 100))
    assert sorted(calls(sent)) == sorted(RUN_START + [("GET", WORKFLOWS)] * pages)
    queries = [parse_qs(r.query) for r in sent if r.path == WORKFLOWS]
    assert all(q["include_definition"] == ["true"] and q["limit"] == ["100"] for q in queries)
    assert sorted(int(q.get("offset", ["0"])[0]) for q in queries) == [
        100 * page for page in range(pages)
    ]
    assert len(project.lock_entries()) == count


def _edit(project: SyncProject, key: str) -> None:
    project.write(key, {**project.read(key), "description": "edited"})


def test_an_auto_approved_apply_costs_its_writes_plus_two_listings(project: SyncProject) -> None:
    keys = seed(project, 101)  # two pages per listing
    _edit(project, keys[0])
    _edit(project, keys[1])
    project.remove(keys[2])
    project.write("bulk/new", {**project.read(keys[3]), "name": "New one"})

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert "Apply complete: 1 created, 2 updated, 1 deleted." in applied.stdout
    methods = [r.method for r in sent]
    # whoami with the plan's listing (2 pages), one write per change, the verification listing
    assert first_calls(sent, 2)
    assert methods[-2:] == ["GET", "GET"]
    assert sorted(methods[4:-2]) == ["DELETE", "PATCH", "PATCH", "POST"]
    assert {r.path for r in sent[4:] if r.method == "GET"} == {WORKFLOWS}
    assert len(writes(sent)) == 4


def test_applying_a_saved_plan_costs_one_relisting_plus_writes_plus_verification(
    project: SyncProject,
) -> None:
    keys = seed(project, 101)
    _edit(project, keys[0])
    project.remove(keys[1])
    saved = project.root / "p.json"
    assert project.run("plan", "--out", str(saved)).code == 0

    with recorded(project.workspace) as sent:
        applied = project.run("apply", str(saved))

    assert applied.code == 0, applied.output
    # whoami with the listing of 101 (2 pages) that re-checks the plan, the writes (deletes
    # last), the verification listing of 100 (1 page)
    assert first_calls(sent, 2)
    assert [r.method for r in sent[4:]] == ["PATCH", "DELETE", "GET"]
    assert {r.path for r in sent[4:] if r.method == "GET"} == {WORKFLOWS}


def test_an_apply_with_nothing_to_do_lists_once(project: SyncProject) -> None:
    seed(project, 3)

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert applied.stdout == "No changes. The workspace matches the workflow files.\n"
    assert calls(sent) == first_calls(sent, 1)


def test_a_refresh_only_apply_writes_nothing_and_lists_once(project: SyncProject) -> None:
    seed(project, 3)

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--refresh-only", "--auto-approve")

    assert applied.code == 0, applied.output
    assert calls(sent) == first_calls(sent, 1)
