"""Read-time migration: what comes back differs from what was written, by documented rules."""

import json
from typing import Any

import httpx

from onepin_sync.core.fingerprint import canonical_json, comparable_definition
from onepin_sync.emulator.migrate import migrate_definition
from tests.samples import pipeline


def test_rules_config_version_defaults_and_float_positions() -> None:
    written = {
        "graph": {
            "nodes": [
                {"id": "a", "type": "operator_generator", "position": {"x": 1, "y": 2}},
                {
                    "id": "b",
                    "type": "validator_naturalness",
                    "position": {"x": 1.5, "y": -3},
                    "config": {"threshold": 95},
                    "config_version": 1,
                },
                {"id": "c", "type": "sink_preview", "position": {"x": 0, "y": 0}, "config": None},
            ],
            "edges": [],
        },
        "execution": {"steps": ["a"]},
    }
    before = json.dumps(written)

    migrated = migrate_definition(written)

    assert json.dumps(written) == before  # the input is untouched
    a, b, c = migrated["graph"]["nodes"]
    assert a == {
        "id": "a",
        "type": "operator_generator",
        "position": {"x": 1.0, "y": 2.0},
        "config_version": 4,
        "config": {"speed": 1.0},
    }
    assert b["config"] == {"threshold": 95, "max_retries": 2}
    assert b["config_version"] == 2
    assert b["position"] == {"x": 1.5, "y": -3.0}
    assert c["config"] == {"format": "wav"}
    assert migrated["execution"] == written["execution"]
    assert migrated["graph"]["edges"] == []


def test_definitions_without_nodes_come_back_unchanged() -> None:
    definitions: list[dict[str, Any]] = [
        {},
        {"graph": None},
        {"graph": {"nodes": None}},
        {"graph": {"edges": []}},
    ]
    for definition in definitions:
        assert migrate_definition(definition) == definition


def test_read_back_is_not_byte_equal_but_normalizes_equal(api: httpx.Client) -> None:
    written = pipeline()
    response = api.post("/api/v1/workflows", json={"name": "migrated", "definition": written})
    created = response.json()["data"]
    fetched = api.get(f"/api/v1/workflows/{created['id']}").json()["data"]
    listed = api.get("/api/v1/workflows", params={"include_definition": "true"}).json()["data"][0]

    for returned in (created["definition"], fetched["definition"], listed["definition"]):
        assert canonical_json(returned) != canonical_json(written)
        assert returned == migrate_definition(written)
        assert canonical_json(comparable_definition(returned)) == canonical_json(
            comparable_definition(_floats(written))
        )


def test_the_stored_definition_stays_raw(api: httpx.Client) -> None:
    written: dict[str, Any] = {
        "graph": {
            "nodes": [
                {
                    "id": "n",
                    "type": "sink_preview",
                    "position": {"x": 3, "y": 4},
                    "config_version": 1,
                }
            ]
        }
    }
    created = api.post("/api/v1/workflows", json={"definition": written}).json()["data"]

    copy = api.post(f"/api/v1/workflows/{created['id']}/duplicate").json()["data"]
    replaced = api.patch(
        f"/api/v1/workflows/{created['id']}", json={"definition": copy["definition"]}
    ).json()["data"]

    assert created["definition"]["graph"]["nodes"][0]["config_version"] == 2
    assert copy["definition"] == created["definition"]
    assert replaced["definition"] == created["definition"]  # migration is idempotent


def _floats(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with integer positions as floats (what the server's model returns)."""
    nodes = [
        {**n, "position": {k: float(v) for k, v in n["position"].items()}}
        for n in definition["graph"]["nodes"]
    ]
    return {**definition, "graph": {**definition["graph"], "nodes": nodes}}
