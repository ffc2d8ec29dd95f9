"""Listing: ceil(N/100) requests, the first page alone and the rest concurrently (or, when the
caller expects N workflows, the pages N fills together with the first), re-listing when the
listing shifts while it is read."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from onepin_sync.errors import ApiError
from tests.api.fakes import (
    WORKFLOWS,
    FakeWorkspace,
    Harness,
    ScriptedServer,
    target_of,
    workflow_item,
)


@pytest.mark.parametrize(
    ("count", "requests"),
    [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)],
    ids=["N=0", "N=1", "N=100", "N=101", "N=250"],
)
def test_listing_costs_one_request_per_hundred_workflows(count: int, requests: int) -> None:
    workspace = FakeWorkspace(count)
    harness = Harness(workspace)
    listed = harness.run(lambda c: c.list_workflows())
    assert [w.id for w in listed] == [item["id"] for item in workspace.workflows]
    assert len(workspace.requests) == requests
    assert harness.requests_sent == requests


def test_pages_are_requested_with_definitions_by_offset() -> None:
    workspace = FakeWorkspace(250)
    Harness(workspace).run(lambda c: c.list_workflows())
    assert sorted(target_of(r) for r in workspace.requests) == [
        f"{WORKFLOWS}?include_definition=true&limit=100&offset={offset}" for offset in (0, 100, 200)
    ]


def test_first_page_alone_then_the_rest_concurrently_within_the_limit() -> None:
    workspace = FakeWorkspace(1000)
    Harness(workspace, settings={"parallelism": 4}).run(lambda c: c.list_workflows())
    assert workspace.events[:2] == [("start", 0), ("end", 0)]
    assert workspace.max_in_flight == 4
    assert len(workspace.requests) == 10


@pytest.mark.parametrize(
    ("count", "expect", "requests"),
    [(250, 250, 3), (250, 1, 3), (250, 150, 3), (120, 250, 3), (0, 100, 1)],
    ids=["as-expected", "fewer-expected", "some-expected", "more-expected", "none-there"],
)
def test_the_pages_the_caller_expects_are_asked_for_at_once(
    count: int, expect: int, requests: int
) -> None:
    """One round trip when the lockfile knows the size; the rest after the first page says the
    total; a page past the end (workflows deleted meanwhile) is one request, read as empty."""
    workspace = FakeWorkspace(count)
    listed = Harness(workspace).run(lambda c: c.list_workflows(expect=expect))
    assert [w.id for w in listed] == [item["id"] for item in workspace.workflows]
    assert len(workspace.requests) == requests
    together = max(1, -(-expect // 100))  # sent before any answer came
    kinds = [kind for kind, _ in workspace.events]
    assert kinds[: together + 1] == ["start"] * together + ["end"]


def test_no_more_pages_are_guessed_than_are_sent_at_once() -> None:
    """A lockfile of 1,000 over an empty workspace (another workspace's key): 4 requests, not 10."""
    workspace = FakeWorkspace(0)
    settings = {"parallelism": 4}
    assert Harness(workspace, settings=settings).run(lambda c: c.list_workflows(expect=1000)) == []
    assert len(workspace.requests) == 4
    workspace = FakeWorkspace(1000)
    Harness(workspace, settings=settings).run(lambda c: c.list_workflows(expect=1000))
    assert [kind for kind, _ in workspace.events[:5]] == ["start"] * 4 + ["end"]
    assert len(workspace.requests) == 10


def test_expected_pages_of_a_server_paging_by_another_size_are_read_again_by_its_size() -> None:
    workspace = FakeWorkspace(120, page_cap=50)
    listed = Harness(workspace).run(lambda c: c.list_workflows(expect=120))
    assert [w.id for w in listed] == [item["id"] for item in workspace.workflows]
    offsets = [int(target_of(r).rsplit("=", 1)[1]) for r in workspace.requests]
    assert sorted(offsets) == [0, 50, 100, 100]  # the guessed 100 is read again after 50


def test_items_become_remote_workflows_with_aware_datetimes() -> None:
    workspace = FakeWorkspace(1)
    workspace.workflows[0]["created_at"] = "2030-01-02T03:04:05.123456Z"
    [listed] = Harness(workspace).run(lambda c: c.list_workflows())
    assert listed.created_at == datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert listed.definition == {"graph": {"nodes": [], "edges": []}}


def test_an_id_the_server_spells_otherwise_is_listed_in_the_lockfiles_form() -> None:
    workspace = FakeWorkspace(2)
    workspace.workflows[0]["id"] = "{3D4C5244-648B-4B68-A4B2-6EE739E47A2A}"
    workspace.workflows[1]["id"] = "../workflows"
    with pytest.raises(ApiError, match=r"unexpected response: id: not a workflow id \(a UUID\)"):
        Harness(workspace).run(lambda c: c.list_workflows())

    del workspace.workflows[1]
    [listed] = Harness(workspace).run(lambda c: c.list_workflows())
    assert listed.id == "3d4c5244-648b-4b68-a4b2-6ee739e47a2a"


def test_page_size_follows_the_limit_the_server_reports() -> None:
    """A server that caps pages below 100 is still read completely, by its own page size."""
    workspace = FakeWorkspace(120, page_cap=50)
    listed = Harness(workspace).run(lambda c: c.list_workflows())
    assert len(listed) == 120
    assert len(workspace.requests) == 3


def test_a_workflow_created_between_pages_makes_the_client_list_again() -> None:
    workspace = FakeWorkspace(150)
    inserted = []

    def create_once(offset: int) -> None:
        if offset == 100 and not inserted:
            inserted.append(True)
            workspace.workflows.insert(
                0, {**workspace.workflows[0], "id": workflow_item(10_000)["id"]}
            )

    workspace.before_page = create_once
    harness = Harness(workspace)
    listed = harness.run(lambda c: c.list_workflows())
    assert len(listed) == 151
    assert len(workspace.requests) == 4  # 2 pages, then 2 pages again
    assert "the workflow listing changed while it was read; reading it again" in harness.lines


def test_a_workflow_moving_between_pages_is_caught_by_duplicate_ids() -> None:
    """An update moves the last item to the front (sort is updated_at desc): the total stays the
    same, but page 2 repeats an item of page 1 and one item is never seen."""
    workspace = FakeWorkspace(150)
    moved = []

    def move_once(offset: int) -> None:
        if offset == 100 and not moved:
            moved.append(workspace.workflows.pop())
            workspace.workflows.insert(0, moved[0])

    workspace.before_page = move_once
    listed = Harness(workspace).run(lambda c: c.list_workflows())
    assert sorted(w.id for w in listed) == sorted(item["id"] for item in workspace.workflows)
    assert len(workspace.requests) == 4


def test_a_listing_that_never_settles_fails_after_three_reads() -> None:
    workspace = FakeWorkspace(150)
    workspace.before_page = lambda offset: workspace.workflows.append(
        {**workspace.workflows[0], "id": workflow_item(10_000 + len(workspace.workflows))["id"]}
    )
    with pytest.raises(
        ApiError, match=r"^the workflow listing kept changing while it was read; retry$"
    ):
        Harness(workspace).run(lambda c: c.list_workflows())
    assert len(workspace.requests) == 3 * 2


def test_a_failing_page_fails_the_listing_and_cancels_the_pages_not_yet_sent() -> None:
    workspace = FakeWorkspace(700)
    offsets = []

    async def page_300_forbidden(request: httpx.Request) -> httpx.Response:
        offsets.append(request.url.params["offset"])
        if request.url.params["offset"] == "300":
            return httpx.Response(403, json={"code": "FORBIDDEN", "message": "scope"})
        return await workspace(request)

    with pytest.raises(ApiError, match="offset=300: 403 FORBIDDEN: scope"):
        Harness(page_300_forbidden, settings={"parallelism": 1}).run(lambda c: c.list_workflows())
    # The failed page's slot went to offset 400 as the failure surfaced (cancelled in flight);
    # offsets 500 and 600 were still waiting for a slot and were never sent.
    assert offsets == ["0", "100", "200", "300", "400"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"data": []}, r"unexpected response: pagination: Field required", id="no-pagination"
        ),
        pytest.param(
            {"data": [], "pagination": {"limit": 100}},
            r"unexpected response: pagination.total: Field required",
            id="no-total",
        ),
        pytest.param({"items": []}, r"unexpected response: the body has no 'data'", id="no-data"),
        pytest.param(
            {"data": [{"id": "x", "name": "n"}], "pagination": {"limit": 100, "total": 1}},
            r"the items lack definitions \(include_definition ignored\)",
            id="no-definitions",
        ),
        pytest.param(
            {"data": [{"id": "x", "definition": {}}], "pagination": {"limit": 100, "total": 1}},
            r"unexpected response: name: Field required",
            id="item-missing-fields",
        ),
    ],
)
def test_malformed_listings_are_clear_api_errors(body: object, message: str) -> None:
    server = ScriptedServer(httpx.Response(200, json=body))
    with pytest.raises(ApiError, match=message):
        Harness(server).run(lambda c: c.list_workflows())


def test_a_non_json_success_is_an_api_error() -> None:
    server = ScriptedServer(httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ApiError, match="unexpected response: the body is not JSON"):
        Harness(server).run(lambda c: c.list_workflows())


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["a deep body", "a deep listing"],
)
def test_a_body_nested_deeper_than_any_answer_is_an_api_error(body: str) -> None:
    server = ScriptedServer(httpx.Response(200, text=body))
    with pytest.raises(ApiError, match=r"unexpected response: the body is not JSON \(nested"):
        Harness(server).run(lambda c: c.list_workflows())
