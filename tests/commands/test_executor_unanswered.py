"""The executor after a create that went unanswered or was refused: it looks the workflow up with
one search listing by name and adopts the workflow the create made (never sending it again); a
create the server refused with an answer (408, 409, 429) that the lookup proves absent is sent
again after the server's wait; any other it leaves pending in the new lockfile state, with the
server time it was sent at, for the next run to settle. Two identical files never adopt the same
workflow, nor one the lockfile already manages; a name holding a secret is never searched for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from onepin_sync.commands.executor import CREATE_ROUNDS
from onepin_sync.core.fingerprint import desired_fingerprint
from onepin_sync.core.guards import ApplyOptions
from onepin_sync.core.matching import surely_absent
from onepin_sync.core.models import PendingCreate, WorkflowSpec
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ApplyResult
from onepin_sync.core.transitions import pending_create
from tests.commands.fake_api import LOST, Call, InMemoryWorkflowApi, refused_message, wf
from tests.commands.plans import (
    EARLIER,
    REFUSED,
    creating,
    execute,
    intents,
    journalled,
    outcomes,
    plan_of,
    statuses,
)
from tests.core.builders import SALT, entry, lockfile, spec

NEW = spec(name="New")
LATER = spec(name="Later")
BEGIN = "begin lineage-1 7"


def looked_again(error: str) -> str:
    return (
        f"failed: {error}; no workflow it could have created was found (the next run looks again)"
    )


def adopted(workflow_id: str, error: str = LOST) -> str:
    return f"done: adopted {workflow_id} after an unanswered create ({error})"


def pending_as_sent(api: InMemoryWorkflowApi, value: WorkflowSpec = NEW) -> PendingCreate:
    """The pending entry of a create of `value` prepared when the server clock was first read."""
    hashed = desired_fingerprint(value, SALT)
    return pending_create(value, hashed, SALT, False, sent_at=api.served[0])


# --- one unanswered create, and what the lookup finds --------------------------------------------


@dataclass(frozen=True)
class Unanswered:
    id: str
    created: bool  # whether the lost create did create the workflow
    adopted: str | None  # the id recorded for "new", if any
    listing_fails: bool = False
    twin: WorkflowSpec | None = None  # a workflow like it, made before the apply by someone else
    managed_twin: bool = False  # ... and managed by the lockfile under another key
    twin_age: timedelta = timedelta(0)  # how long before the request the twin was made


UNANSWERED = [
    Unanswered("it created: the workflow found is adopted", created=True, adopted=wf(1)),
    Unanswered("it did not create: pending for the next run", created=False, adopted=None),
    Unanswered(
        "it created but the lookup fails: pending for the next run",
        created=True,
        listing_fails=True,
        adopted=None,
    ),
    Unanswered(
        "a managed twin is never taken for it",
        created=False,
        twin=NEW,
        managed_twin=True,
        adopted=None,
    ),
    Unanswered(
        "a twin made before the request (beyond the clock skew) is never taken for it",
        created=False,
        twin=NEW,
        twin_age=timedelta(minutes=1),
        adopted=None,
    ),
    Unanswered(
        "a twin whose name differs in case is never taken for it (the search finds it)",
        created=False,
        twin=spec(name="NEW"),
        adopted=None,
    ),
    Unanswered(
        "a twin of another structure is never taken for it",
        created=False,
        twin=spec(name="New", extra_node=True),
        adopted=None,
    ),
]


@pytest.mark.parametrize("row", UNANSWERED, ids=[r.id for r in UNANSWERED])
def test_an_unanswered_create(row: Unanswered, tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    if row.twin is not None:
        twin = api.add(row.twin)
        if row.managed_twin:
            state = lockfile(twin=entry(row.twin, twin))
        api.clock.advance(row.twin_age)
    api.lose_next_create("New", created=row.created)
    if row.listing_fails:
        api.fail_next("list", "New", error=REFUSED)
    plan = plan_of(creating("new", NEW), creating("later", LATER), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1))

    made = wf(2) if row.twin is not None else wf(1)
    if row.adopted is None:
        assert statuses(result) == {"new": looked_again(LOST), "later": EARLIER}
        assert api.calls == [("create", "New"), ("list", "New")]  # never sent twice
        assert journalled(tmp_path) == [BEGIN, "intent 1 create new"]  # no outcome
        # pending in the new state, sent at the server time read before the intent
        assert dict(result.state.pending) == {"new": pending_as_sent(api)}
        assert intents(tmp_path)[0].started_at == api.served[0]
        assert intents(tmp_path)[0].pending == result.state.pending["new"]
        assert result.state.workflows == state.workflows
        assert result.state.serial == 8
        assert result.unresolved == ()  # the lockfile carries it: the journal may go
        assert (made in api.workflows) is row.created
    else:
        assert statuses(result) == {"new": adopted(made), "later": "done"}
        assert api.calls == [("create", "New"), ("list", "New"), ("create", "Later")]
        assert journalled(tmp_path) == [
            BEGIN,
            "intent 1 create new",
            "outcome 1 ok",
            "intent 2 create later",
            "outcome 2 ok",
        ]
        assert dict(result.state.workflows) == {
            "later": entry(LATER, api.workflows[wf(2)]),
            "new": entry(NEW, api.workflows[row.adopted]),
        }
        assert outcomes(tmp_path)[1].entry == result.state.workflows["new"]
        assert result.state.pending == {}
        assert result.unresolved == ()


@pytest.mark.parametrize("created", [True, False], ids=["it created", "it did not create"])
def test_a_name_holding_a_secret_is_looked_up_in_a_full_listing(
    created: bool, tmp_path: Path
) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    secret = spec(name="Welcome s3cr3t")
    api.lose_next_create("Welcome s3cr3t", created=created)
    plan = plan_of(creating("new", secret), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(), secrets=Redactor(["s3cr3t"]))

    assert api.calls == [("create", "Welcome s3cr3t"), ("list",)]  # no secret in a search URL
    if created:
        assert statuses(result) == {"new": adopted(wf(1))}
        assert result.state.workflows["new"].name == "Welcome (sensitive)"
        assert result.state.pending == {}
    else:
        assert statuses(result) == {"new": looked_again(LOST)}
        assert result.state.pending["new"].name == "Welcome (sensitive)"
        assert result.state.pending["new"] == pending_as_sent(api, secret).model_copy(
            update={"name": "Welcome (sensitive)"}
        )
    assert [i.name for i in intents(tmp_path)] == ["Welcome (sensitive)"]
    assert "s3cr3t" not in (tmp_path / "journal.jsonl").read_text()
    assert "s3cr3t" not in result.state.model_dump_json()


# --- two creates of one spec ---------------------------------------------------------------------


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
    taken = {key: e.id for key, e in result.state.workflows.items()}
    assert sorted(taken.values()) == [wf(1), wf(2)]
    if parallelism == 1:
        assert taken == {"a": wf(1), "b": wf(2)}
    assert sorted(api.calls) == [("create", "New")] * 2 + [("list", "New")] * 2
    assert result.state.pending == {}


def test_an_identical_create_never_adopts_the_workflow_its_twin_adopted(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    state = lockfile()
    api.lose_next_create("New", created=True)
    api.lose_next_create("New", created=False)
    plan = plan_of(creating("a", NEW), creating("b", NEW), state=state)

    result = execute(plan, api, state, tmp_path, ApplyOptions(parallelism=1))

    assert statuses(result) == {"a": adopted(wf(1)), "b": looked_again(LOST)}
    assert api.calls == [("create", "New"), ("list", "New"), ("create", "New"), ("list", "New")]
    assert journalled(tmp_path) == [
        BEGIN,
        "intent 1 create a",
        "outcome 1 ok",
        "intent 2 create b",
    ]
    assert {k: e.id for k, e in result.state.workflows.items()} == {"a": wf(1)}
    assert list(result.state.pending) == ["b"]
    assert result.unresolved == ()


# --- a create the server refused with an answer --------------------------------------------------


@dataclass(frozen=True)
class Refused:
    id: str
    script: tuple[tuple[int | None, float | None, bool], ...]  # (status or None: lost, wait, made)
    status: str
    calls: list[Call]
    slept: list[float]
    adopted: bool  # "new" ends recorded (True) or pending (False)
    free: bool = False  # its 429s leave the deadline time to wait them out (`free_resend`)


def sends(rounds: int) -> list[Call]:
    return [("create", "New"), ("list", "New")] * rounds


REFUSALS = [
    Refused(
        "429 with a wait: sent again after it, and done",
        script=((429, 1.5, False),),
        status="done",
        calls=[*sends(1), ("create", "New")],
        slept=[1.5],
        adopted=True,
    ),
    Refused(
        "429 without a wait: sent again after the fallback wait, then unanswered and adopted",
        script=((429, None, False), (None, None, True)),
        status=adopted(wf(1)),
        calls=sends(2),
        slept=[2.0],
        adopted=True,
    ),
    Refused(
        "409 from a server that did create it: adopted, never sent again",
        script=((409, 1.5, True),),
        status=adopted(wf(1), refused_message(409)),
        calls=sends(1),
        slept=[],
        adopted=True,
    ),
    Refused(
        "408, then 429, then done",
        script=((408, None, False), (429, 0.5, False)),
        status="done",
        calls=[*sends(2), ("create", "New")],
        slept=[2.0, 0.5],
        adopted=True,
    ),
    Refused(
        "429 then unanswered and not created: pending",
        script=((429, 1.5, False), (None, None, False)),
        status=looked_again(LOST),
        calls=sends(2),
        slept=[1.5],
        adopted=False,
    ),
    Refused(
        "429s the deadline leaves time for: sent again however many, no round used up",
        script=((429, 1.0, False),) * (CREATE_ROUNDS + 2),
        status="done",
        calls=[*sends(CREATE_ROUNDS + 2), ("create", "New")],
        slept=[1.0] * (CREATE_ROUNDS + 2),
        adopted=True,
        free=True,
    ),
    Refused(
        "429 on every send without a deadline: pending after CREATE_ROUNDS sends",
        script=((429, 1.0, False),) * CREATE_ROUNDS,
        status=looked_again(refused_message(429)),
        calls=sends(CREATE_ROUNDS),
        slept=[1.0] * (CREATE_ROUNDS - 1),
        adopted=False,
    ),
]


def run_refused(api: InMemoryWorkflowApi, tmp_path: Path, slept: list[float]) -> ApplyResult:
    state = lockfile()
    plan = plan_of(creating("new", NEW), state=state)
    return execute(plan, api, state, tmp_path, ApplyOptions(), slept=slept)


@pytest.mark.parametrize("row", REFUSALS, ids=[r.id for r in REFUSALS])
def test_a_refused_create_that_a_lookup_proves_absent_is_sent_again(
    row: Refused, tmp_path: Path
) -> None:
    api = InMemoryWorkflowApi()
    for status, wait, made in row.script:
        if status is None:
            api.lose_next_create("New", created=made)
        else:
            free = row.free and status == 429
            api.refuse_next_create(
                "New", status=status, retry_after=wait, created=made, free_resend=free
            )
    slept: list[float] = []

    result = run_refused(api, tmp_path, slept)

    assert statuses(result) == {"new": row.status}
    assert api.calls == row.calls
    assert slept == row.slept  # through the injected sleep only
    assert len(api.workflows) == (1 if row.adopted else 0)  # never made twice
    if row.adopted:
        assert dict(result.state.workflows) == {"new": entry(NEW, api.workflows[wf(1)])}
        assert result.state.pending == {}
        assert journalled(tmp_path) == [BEGIN, "intent 1 create new", "outcome 1 ok"]
    else:
        assert result.state.workflows == {}
        assert list(result.state.pending) == ["new"]
        assert journalled(tmp_path) == [BEGIN, "intent 1 create new"]
    assert result.unresolved == ()


def test_a_re_sent_create_left_pending_is_timed_from_its_last_send(tmp_path: Path) -> None:
    api = InMemoryWorkflowApi()
    api.refuse_next_create("New", status=429, retry_after=30.0)
    api.lose_next_create("New", created=False)  # it may still land: its sender is gone

    result = run_refused(api, tmp_path, [])

    last_sent = api.served[-1]  # the server time the second create was sent at
    pending = result.state.pending["new"]
    assert not surely_absent(pending, last_sent + timedelta(seconds=1))
