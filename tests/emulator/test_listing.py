"""`GET /api/v1/workflows`: counted pagination, ordering, search and filters."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.samples import pipeline


def create(api: httpx.Client, name: str, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v1/workflows", json={"name": name, **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def listing(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/api/v1/workflows", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [w["name"] for w in body["data"]]


def test_empty_workspace_lists_nothing_with_a_counted_pagination(api: httpx.Client) -> None:
    body = listing(api)

    assert body["data"] == []
    assert body["pagination"] == {"limit": 20, "total": 0, "next": None, "prev": None}
    assert set(body["meta"]) == {"request_id", "timestamp"}


def test_default_order_is_most_recently_updated_first(api: httpx.Client) -> None:
    first = create(api, "first")
    create(api, "second")
    create(api, "third")
    api.patch(f"/api/v1/workflows/{first['id']}", json={"description": "touched"})

    assert names(listing(api)) == ["first", "third", "second"]


def test_items_omit_the_definition_unless_asked(api: httpx.Client) -> None:
    created = create(api, "with graph", definition=pipeline())

    plain = listing(api)["data"][0]
    full = listing(api, include_definition="true")["data"][0]

    assert "definition" not in plain
    assert full["definition"] == created["definition"]
    assert {k: v for k, v in full.items() if k != "definition"} == plain


def test_pages_walk_every_workflow_exactly_once(api: httpx.Client) -> None:
    created = {create(api, f"w{i:02d}")["id"] for i in range(7)}
    seen: list[str] = []
    offset = 0
    while True:
        body = listing(api, offset=offset, limit=3)
        assert body["pagination"]["total"] == 7
        seen += [w["id"] for w in body["data"]]
        offset += 3
        if offset >= body["pagination"]["total"]:
            break

    assert len(seen) == 7
    assert set(seen) == created


def test_next_and_prev_are_absolute_urls_keeping_the_query(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    for i in range(5):
        create(api, f"page {i}")

    middle = listing(api, offset=2, limit=2, search="page", sort=["name"])["pagination"]
    last = listing(api, offset=4, limit=2)["pagination"]

    assert middle["total"] == 5
    next_url = urlsplit(middle["next"])
    assert f"{next_url.scheme}://{next_url.netloc}" == workspace.base_url
    assert next_url.path == "/api/v1/workflows"
    query = parse_qs(next_url.query)
    assert query["offset"] == ["4"]
    assert query["limit"] == ["2"]
    assert query["search"] == ["page"]
    assert query["sort"] == ["name"]
    assert parse_qs(urlsplit(middle["prev"]).query)["offset"] == ["0"]
    assert last["next"] is None
    assert parse_qs(urlsplit(last["prev"]).query)["offset"] == ["2"]


def test_an_offset_past_the_end_is_an_empty_page(api: httpx.Client) -> None:
    create(api, "only")

    body = listing(api, offset=10)

    assert body["data"] == []
    assert body["pagination"]["total"] == 1


def test_sort_by_name_uses_its_default_ascending_order_and_id_tiebreak(api: httpx.Client) -> None:
    twins = sorted([create(api, "same")["id"], create(api, "same")["id"]])
    create(api, "b")
    create(api, "a")

    body = listing(api, sort="name")

    assert names(body) == ["a", "b", "same", "same"]
    assert [w["id"] for w in body["data"][2:]] == twins


def test_sort_and_order_are_parallel_lists_padded_with_field_defaults(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    busy = create(api, "busy")
    create(api, "idle b")
    create(api, "idle a")
    for _ in range(2):
        workspace.record_run(busy["id"], "completed")

    by_runs_then_name = listing(api, sort=["runs_count", "name"])
    explicit = listing(api, sort=["runs_count", "name"], order=["asc", "desc"])

    assert names(by_runs_then_name) == ["busy", "idle a", "idle b"]
    assert names(explicit) == ["idle b", "idle a", "busy"]


def test_order_alone_applies_to_the_default_updated_at_sort(api: httpx.Client) -> None:
    create(api, "older")
    create(api, "newer")

    assert names(listing(api, order="asc")) == ["older", "newer"]


def test_search_is_case_insensitive_over_name_and_description(api: httpx.Client) -> None:
    create(api, "Welcome Call")
    create(api, "Other", description="says WELCOME inside")
    create(api, "Straße")
    create(api, "Unrelated")

    assert sorted(names(listing(api, search="welcome"))) == ["Other", "Welcome Call"]
    assert names(listing(api, search="STRASSE")) == ["Straße"]
    assert listing(api, search="welcome")["pagination"]["total"] == 2


def test_run_filters_follow_the_latest_run_and_the_failure_history(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    draft = create(api, "draft")
    ok = create(api, "ok")
    broken = create(api, "broken")
    recovered = create(api, "recovered")
    active = create(api, "active")
    stopped = create(api, "stopped")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    workspace.record_run(ok["id"], "completed", start)
    workspace.record_run(broken["id"], "failed", start)
    workspace.record_run(recovered["id"], "failed", start)
    workspace.record_run(recovered["id"], "completed", start + timedelta(hours=1))
    workspace.record_run(active["id"], "paused", start)
    workspace.record_run(stopped["id"], "cancelled", start)

    def filtered(**params: Any) -> set[str]:
        return set(names(listing(api, **params)))

    assert filtered(status="draft") == {draft["name"]}
    assert filtered(status="completed") == {"ok", "recovered"}
    assert filtered(status="failed") == {"broken"}
    assert filtered(status="running") == {"active"}
    assert filtered(status="paused") == set()
    assert filtered(has_failed_run="true") == {"broken", "recovered"}
    assert filtered(has_failed_run="false") == {"draft", "ok", "active", "stopped"}
    assert filtered(has_failed_run="true", status="completed") == {"recovered"}
    assert filtered(last_run_after="2025-01-01T00:30:00+00:00") == {"recovered"}
    assert filtered(last_run_before="2025-01-01T00:30:00Z") == {
        "ok",
        "broken",
        "active",
        "stopped",
    }


def test_run_statistics_are_reported_on_every_item(
    api: httpx.Client, workspace: EmulatorWorkspace
) -> None:
    created = create(api, "stats")
    workspace.record_run(created["id"], "failed", datetime(2025, 1, 1, tzinfo=UTC))
    workspace.record_run(created["id"], "completed", datetime(2025, 1, 2, tzinfo=UTC))
    workspace.record_run(created["id"], "failed", datetime(2024, 12, 31, tzinfo=UTC))

    item = listing(api)["data"][0]

    assert item["runs_count"] == 3
    assert item["last_run_status"] == "completed"
    assert item["last_run_at"] == "2025-01-02T00:00:00.000000Z"
    assert item["run_status_counts"]["failed"] == 2
    assert sum(item["run_status_counts"].values()) == 3
    assert item["updated_at"] == created["updated_at"]  # runs do not modify the workflow


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"search": "x" * 101}, "search"),
        ({"sort": "created_at"}, "sort[0]"),
        ({"order": "up"}, "order[0]"),
        ({"status": "done"}, "status"),
        ({"has_failed_run": "maybe"}, "has_failed_run"),
        ({"last_run_after": "2025-01-01T00:00:00"}, "last_run_after"),
        (
            {"last_run_after": "2025-02-01T00:00:00Z", "last_run_before": "2025-01-01T00:00:00Z"},
            "last_run_before",
        ),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else None,
)
def test_bad_query_parameters_are_422_naming_the_field(
    api: httpx.Client, params: dict[str, Any], field: str
) -> None:
    response = api.get("/api/v1/workflows", params=params)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field]


def test_limit_bounds_are_inclusive(api: httpx.Client) -> None:
    assert listing(api, limit=1)["pagination"]["limit"] == 1
    assert listing(api, limit=100)["pagination"]["limit"] == 100
