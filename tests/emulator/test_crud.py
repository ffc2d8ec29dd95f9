"""Workflow create / get / PUT / PATCH / DELETE / duplicate over real HTTP."""

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.samples import pipeline, single_node

RUN_STATUSES = {"pending", "running", "completed", "failed", "cancelled", "paused"}
SERVER_FIELDS = {
    "id",
    "user_id",
    "name",
    "name_source",
    "description",
    "definition",
    "created_at",
    "updated_at",
    "runs_count",
    "last_run_at",
    "last_run_status",
    "run_status_counts",
}


def create(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v1/workflows", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def parse_time(text: str) -> datetime:
    assert text.endswith("Z"), text
    assert len(text) == len("2025-01-31T12:00:00.000000Z"), text  # always microseconds
    return datetime.fromisoformat(text)


def test_create_returns_every_server_field(api: httpx.Client, workspace: Any) -> None:
    response = api.post("/api/v1/workflows", json={"name": "Welcome", "description": "Hi"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert set(body["meta"]) == {"request_id", "timestamp"}
    data = body["data"]
    assert set(data) == SERVER_FIELDS
    uuid.UUID(data["id"])
    assert data["user_id"] == workspace.user_id
    assert (data["name"], data["name_source"], data["description"]) == ("Welcome", "user", "Hi")
    assert data["created_at"] == data["updated_at"]
    parse_time(data["created_at"])
    assert data["runs_count"] == 0
    assert data["last_run_at"] is None
    assert data["last_run_status"] is None
    assert data["run_status_counts"] == dict.fromkeys(RUN_STATUSES, 0)


def test_create_with_empty_body_makes_an_untitled_empty_workflow(api: httpx.Client) -> None:
    data = create(api)

    assert data["name"] == "Untitled workflow"
    assert data["name_source"] == "placeholder"
    assert data["description"] is None
    assert data["definition"] == {"graph": {"nodes": [], "edges": []}}


def test_create_without_any_body_is_the_same_as_empty(api: httpx.Client) -> None:
    response = api.post("/api/v1/workflows")

    assert response.status_code == 201
    assert response.json()["data"]["name_source"] == "placeholder"


def test_get_returns_what_create_returned(api: httpx.Client) -> None:
    created = create(api, name="Get me", definition=pipeline())

    response = api.get(f"/api/v1/workflows/{created['id']}")

    assert response.status_code == 200
    assert response.json()["data"] == created


def test_get_unknown_id_is_404(api: httpx.Client) -> None:
    response = api.get(f"/api/v1/workflows/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_put_replaces_everything_and_moves_updated_at(api: httpx.Client) -> None:
    created = create(api, name="Old", description="old", definition=pipeline())

    response = api.put(
        f"/api/v1/workflows/{created['id']}",
        json={"name": "New", "description": "new", "definition": single_node()},
    )

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["name"], data["description"]) == ("New", "new")
    assert [n["id"] for n in data["definition"]["graph"]["nodes"]] == ["n1"]
    assert data["created_at"] == created["created_at"]
    assert parse_time(data["updated_at"]) > parse_time(created["updated_at"])


def test_put_without_description_clears_it(api: httpx.Client) -> None:
    created = create(api, name="Keep?", description="gone after PUT")

    response = api.put(
        f"/api/v1/workflows/{created['id']}", json={"name": "Keep?", "definition": {}}
    )

    assert response.json()["data"]["description"] is None


def test_put_needs_name_and_definition(api: httpx.Client) -> None:
    created = create(api, name="Strict")

    response = api.put(f"/api/v1/workflows/{created['id']}", json={"description": "x"})

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"name", "definition"}


def test_patch_replaces_only_present_keys(api: httpx.Client) -> None:
    created = create(api, name="Patch me", description="keep", definition=pipeline())

    response = api.patch(f"/api/v1/workflows/{created['id']}", json={"name": "Patched"})

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["name"], data["description"]) == ("Patched", "keep")
    assert data["definition"] == created["definition"]
    assert data["updated_at"] > created["updated_at"]


def test_patch_description_null_clears_it(api: httpx.Client) -> None:
    created = create(api, name="Clear", description="something")

    response = api.patch(f"/api/v1/workflows/{created['id']}", json={"description": None})

    assert response.status_code == 200
    assert response.json()["data"]["description"] is None
    assert response.json()["data"]["name"] == "Clear"


def test_patch_definition_is_replaced_not_merged(api: httpx.Client) -> None:
    created = create(api, name="Replace", definition=pipeline())

    response = api.patch(
        f"/api/v1/workflows/{created['id']}", json={"definition": single_node("sink_preview")}
    )

    nodes = response.json()["data"]["definition"]["graph"]["nodes"]
    assert [(n["id"], n["type"]) for n in nodes] == [("n1", "sink_preview")]
    assert "execution" not in response.json()["data"]["definition"]


def test_patch_name_of_placeholder_makes_it_user_named(api: httpx.Client) -> None:
    created = create(api)

    response = api.patch(f"/api/v1/workflows/{created['id']}", json={"name": "Named"})

    assert response.json()["data"]["name_source"] == "user"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"unknown": 1}, "body"),
        ({"name": None}, "name"),
        ({"definition": None}, "definition"),
        ({"name": ""}, "name"),
    ],
    ids=["empty", "only-unknown-keys", "name-null", "definition-null", "name-empty"],
)
def test_patch_rejections_are_422_with_details(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    created = create(api, name="Reject")

    response = api.patch(f"/api/v1/workflows/{created['id']}", json=body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field]


def test_patch_without_a_body_is_422(api: httpx.Client) -> None:
    created = create(api, name="No body")

    response = api.patch(f"/api/v1/workflows/{created['id']}")

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body"


def test_every_write_strictly_increases_updated_at(api: httpx.Client) -> None:
    created = create(api, name="Tick")
    stamps = [created["updated_at"]]
    for index in range(20):
        response = api.patch(f"/api/v1/workflows/{created['id']}", json={"name": f"Tick {index}"})
        stamps.append(response.json()["data"]["updated_at"])

    assert stamps == sorted(set(stamps))
    assert len(set(stamps)) == len(stamps)


def test_delete_is_soft_and_404s_everywhere_afterwards(api: httpx.Client) -> None:
    created = create(api, name="Doomed")
    path = f"/api/v1/workflows/{created['id']}"

    response = api.delete(path)

    assert response.status_code == 200
    assert set(response.json()) == {"data", "meta"}
    assert response.json()["data"] == {"deleted": True}
    assert api.get(path).status_code == 404
    assert api.put(path, json={"name": "x", "definition": {}}).status_code == 404
    assert api.patch(path, json={"name": "x"}).status_code == 404
    assert api.post(f"{path}/duplicate").status_code == 404
    assert api.delete(path).status_code == 404
    listed = api.get("/api/v1/workflows", params={"limit": 100}).json()["data"]
    assert created["id"] not in {w["id"] for w in listed}


def test_duplicate_copies_name_description_definition_without_runs(
    api: httpx.Client, workspace: Any
) -> None:
    created = create(api, name="Original", description="desc", definition=pipeline())
    workspace.record_run(created["id"], "failed")

    response = api.post(f"/api/v1/workflows/{created['id']}/duplicate")

    assert response.status_code == 201
    copy = response.json()["data"]
    assert copy["id"] != created["id"]
    assert copy["name"] == "Original (Copy)"
    assert copy["description"] == "desc"
    assert copy["definition"] == created["definition"]
    assert copy["runs_count"] == 0
    assert copy["run_status_counts"] == dict.fromkeys(RUN_STATUSES, 0)
    assert copy["updated_at"] > created["updated_at"]


def test_duplicate_of_a_200_character_name_stays_within_200(api: httpx.Client) -> None:
    created = create(api, name="n" * 200)

    copy = api.post(f"/api/v1/workflows/{created['id']}/duplicate").json()["data"]

    assert len(copy["name"]) == 200
    assert copy["name"].endswith(" (Copy)")


def test_workflows_of_other_workspaces_are_invisible(
    api: httpx.Client, workspace: Any, emulator_control: Any
) -> None:
    created = create(api, name="Mine")
    other = emulator_control.new_workspace()
    headers = {"Authorization": f"Bearer {other.api_key}"}
    path = f"/api/v1/workflows/{created['id']}"

    with httpx.Client(base_url=workspace.base_url, headers=headers) as stranger:
        assert stranger.get(path).status_code == 404
        assert stranger.patch(path, json={"name": "stolen"}).status_code == 404
        assert stranger.delete(path).status_code == 404
        assert stranger.post(f"{path}/duplicate").status_code == 404
        assert stranger.get("/api/v1/workflows").json()["pagination"]["total"] == 0
    assert api.get(path).json()["data"]["name"] == "Mine"


def test_a_second_key_of_the_same_workspace_sees_the_same_workflows(
    api: httpx.Client, workspace: Any, emulator_control: Any
) -> None:
    created = create(api, name="Shared")
    second = emulator_control.new_key(workspace.workspace_id)

    with httpx.Client(
        base_url=workspace.base_url, headers={"Authorization": f"Bearer {second.api_key}"}
    ) as colleague:
        data = colleague.get(f"/api/v1/workflows/{created['id']}").json()["data"]

    assert data["name"] == "Shared"
    assert data["user_id"] == workspace.user_id  # the creator, not the reader


def test_name_availability_is_always_true_for_a_valid_name(api: httpx.Client) -> None:
    create(api, name="Taken")

    response = api.get("/api/v1/workflows/name-availability", params={"name": "  Taken "})

    assert response.status_code == 200
    assert response.json()["data"] == {"name": "Taken", "available": True}
    blank = api.get("/api/v1/workflows/name-availability", params={"name": "   "})
    assert blank.status_code == 422


@pytest.mark.parametrize(
    ("sent", "status", "name"),
    [
        ("  " + "x" * 200 + "\t", 200, "x" * 200),  # the limit applies after trimming
        ("x" * 201, 422, None),
        ("\t\n ", 422, None),
        ("tab\tinside", 422, None),  # our assumption: control characters break the policy
    ],
    ids=["long-until-trimmed", "too-long", "blank", "control-character"],
)
def test_name_availability_trims_then_checks_the_name_policy(
    api: httpx.Client, sent: str, status: int, name: str | None
) -> None:
    response = api.get("/api/v1/workflows/name-availability", params={"name": sent})

    assert response.status_code == status, response.text
    if name is not None:
        assert response.json()["data"] == {"name": name, "available": True}
    else:
        assert response.json()["error"]["details"][0]["field"] == "name"


def test_name_availability_needs_a_name_and_ignores_exclude_id(api: httpx.Client) -> None:
    missing = api.get("/api/v1/workflows/name-availability")
    excluded = api.get(
        "/api/v1/workflows/name-availability", params={"name": "n", "exclude_id": "anything"}
    )

    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "name"
    assert excluded.json()["data"] == {"name": "n", "available": True}


def test_put_and_patch_store_the_name_as_sent(api: httpx.Client) -> None:
    created = create(api, name="plain")
    path = f"/api/v1/workflows/{created['id']}"

    put = api.put(path, json={"name": " put ", "definition": {}}).json()["data"]
    patch = api.patch(path, json={"name": "  patch"}).json()["data"]

    assert (put["name"], patch["name"]) == (" put ", "  patch")
    assert api.get(path).json()["data"]["name"] == "  patch"
