"""The node catalogue: `GET /api/v1/nodes` (no auth) and `GET /api/v2/nodes/{type}`."""

import httpx

from onepin_sync.core import catalog as product_catalog
from onepin_sync.emulator.embedded import EmbeddedEmulator


def test_the_current_profile_serves_exactly_the_catalogue_the_product_bundles(
    emulator: EmbeddedEmulator, api: httpx.Client
) -> None:
    with httpx.Client(base_url=emulator.base_url) as anonymous:
        served = anonymous.get("/api/v1/nodes").json()["data"]

    bundled = product_catalog.NODE_TYPES
    assert [item["node_type"] for item in served] == list(bundled)
    for item in served:
        spec = bundled[item["node_type"]]
        detail = api.get(f"/api/v2/nodes/{spec.node_type}").json()["data"]
        assert item["display_name"] == spec.display_name
        assert item["description"] == spec.description
        assert item["version"] == spec.config_version
        assert [p["name"] for p in item["inputs"]] == list(spec.inputs)
        assert [p["name"] for p in item["outputs"]] == list(spec.outputs)
        assert item["config_schema"] == {k: dict(v) for k, v in spec.config_schema.items()}
        defaults = {k: s["default"] for k, s in item["config_schema"].items() if "default" in s}
        assert defaults == dict(spec.config_defaults)
        assert detail["category"] == spec.category


def test_node_catalogue_needs_no_auth_and_lists_all_types(emulator: EmbeddedEmulator) -> None:
    with httpx.Client(base_url=emulator.base_url) as anonymous:
        response = anonymous.get("/api/v1/nodes")

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"limit": 100, "next": None, "prev": None}
    by_type = {item["node_type"]: item for item in body["data"]}
    assert len(by_type) == 11
    validator = by_type["validator_noise"]
    assert validator["inputs"] == [{"name": "lines"}]
    assert validator["outputs"] == [{"name": "pass"}, {"name": "fail"}]
    assert validator["version"] == 2
    assert validator["beta"] is False
    assert validator["config_schema"]["threshold"]["default"] == 90
    assert by_type["source_script"]["inputs"] == []


def test_node_detail_v2(api: httpx.Client) -> None:
    found = api.get("/api/v2/nodes/operator_generator")
    missing = api.get("/api/v2/nodes/operator_teleporter")

    assert found.status_code == 200
    assert found.json()["data"]["category"] == "operator"
    assert found.json()["data"]["options"] == {}
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
