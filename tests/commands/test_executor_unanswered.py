"""The executor after a create that went unanswered: it lists once and adopts the workflow the
create made (never sending it again), or leaves its fate to the next run with the intent pending.
Two identical files never adopt the same workflow, nor one the lockfile already manages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from onepin_sync.core.guards import ApplyOptions
from tests.commands.fake_api import InMemoryWorkflowApi
from tests.commands.plans import (
    EARLIER,
    REFUSED,
    creating,
    execute,
    journalled,
    outcomes,
    plan_of,
    statuses,
)
from tests.core.builders import entry, lockfile, spec

NEW = spec(name="New")
LOST = "POST /workflows: read timeout"


@dataclass(frozen=True)
class Unanswered:
    id: str
    created: bool  # whether the lost create did create the workflow
    status: str
    adopted: str | None  # the id recorded for "new", if any
    listing_fails: bool = False
    twin: str | None = None  # an identical workflow before the apply: "managed" or "older"


LOOKED_AGAIN = (
    f"failed: {LOST}; no workflow it could have created was found (the next run looks again)"
)
UNANSWERED = [
    Unanswered(
        "it created: the workflow found is adopted",
        created=True,
        status=f"done: adopted wf-1 after an unanswered create ({LOST})",
        adopted="wf-1",
    ),
    Unanswered(
        "it did not create: left for the next run", created=False, status=LOOKED_AGAIN, adopted=None
    ),
    Unanswered(
        "it created but the listing fails: left for the next run",
        created=True,
        listing_fails=True,
        status=LOOKED_AGAIN,
        adopted=None,
    ),
    Unanswered(
        "a managed twin is never taken for it",
        created=False,
        twin="managed",
        status=LOOKED_AGAIN,
        adopted=None,
    ),
    Unanswered(
        "a twin created before the request is never taken for it",
        created=False,
        twin="older",
        status=LOOKED_AGAIN,
        adopted=None,
    ),
]


@pytest.mark.parametrize("row", UNANSWERED, ids=[r.id for r in UNANSWERED])
def test_an_unanswered_create(row: Unanswered, tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    if row.twin is not None:
        twin = api.add(NEW)
        if row.twin == "managed":
            state = lockfile(twin=entry(NEW, twin))
        else:
            api.clock.advance(timedelta(minutes=1))
    api.lose_next_create("New", created=row.created)
    if row.listing_fails:
        api.fail_next("list", error=REFUSED)
    plan = plan_of(creating("new", NEW), creating("later", spec(name="Later")), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1))

    assert statuses(result)["new"] == row.status
    if row.adopted is None:
        assert statuses(result)["later"] == EARLIER
        assert api.calls == [("create", "New"), ("list",)]  # never sent twice
        assert journalled(tmp_path) == ["begin lineage-1 7", "intent 1 create new"]  # pending
        assert result.unresolved == ("new",)
        assert result.state is state
    else:
        assert statuses(result)["later"] == "done"
        assert api.calls == [("create", "New"), ("list",), ("create", "Later")]
        assert journalled(tmp_path)[:3] == [
            "begin lineage-1 7",
            "intent 1 create new",
            "outcome 1 ok",
        ]
        assert result.state.workflows["new"] == entry(NEW, api.workflows[row.adopted])
        assert outcomes(tmp_path)[1].entry == result.state.workflows["new"]
        assert result.unresolved == ()


@pytest.mark.parametrize("parallelism", [1, 8], ids=["one at a time", "concurrently"])
def test_two_identical_unanswered_creates_adopt_two_different_workflows(
    parallelism: int, tmp_path: Path
) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    api.lose_next_create("New", created=True)
    api.lose_next_create("New", created=True)
    plan = plan_of(creating("a", NEW), creating("b", NEW), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=parallelism))

    assert [r.status for r in result.results] == ["done", "done"]
    adopted = {key: e.id for key, e in result.state.workflows.items()}
    assert sorted(adopted.values()) == ["wf-1", "wf-2"]
    if parallelism == 1:
        assert adopted == {"a": "wf-1", "b": "wf-2"}
    assert sorted(api.calls) == [("create", "New")] * 2 + [("list",)] * 2


def test_an_identical_create_never_adopts_the_workflow_its_twin_adopted(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    api.lose_next_create("New", created=True)
    api.lose_next_create("New", created=False)
    plan = plan_of(creating("a", NEW), creating("b", NEW), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1))

    assert statuses(result) == {
        "a": f"done: adopted wf-1 after an unanswered create ({LOST})",
        "b": LOOKED_AGAIN,
    }
    assert api.calls == [("create", "New"), ("list",), ("create", "New"), ("list",)]
    assert journalled(tmp_path) == [
        "begin lineage-1 7",
        "intent 1 create a",
        "outcome 1 ok",
        "intent 2 create b",
    ]
    assert {k: e.id for k, e in result.state.workflows.items()} == {"a": "wf-1"}
    assert result.unresolved == ("b",)
