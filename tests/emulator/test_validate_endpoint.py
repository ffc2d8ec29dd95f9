"""`POST /api/v1/workflows/validate`: run-start rules; 200 for a well-formed body, 422 otherwise."""

from typing import Any

import httpx
import pytest

from tests.samples import edge, pipeline


def validate(api: httpx.Client, definition: Any) -> dict[str, Any]:
    response = api.post("/api/v1/workflows/validate", json={"definition": definition})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def rules(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(item["rule"], item.get("node_id")) for item in items]


def test_a_run_ready_definition_is_valid_with_a_summary(api: httpx.Client) -> None:
    data = validate(api, pipeline())

    assert data["valid"] is True
    assert data["errors"] == []
    assert data["warnings"] == []
    assert data["blocked"] == []
    assert data["summary"] == {
        "node_count": 4,
        "edge_count": 3,
        "node_types": {
            "operator_generator": 1,
            "operator_translator": 1,
            "sink_preview": 1,
            "source_script": 1,
        },
        "source_node_ids": ["script"],
        "sink_node_ids": ["export"],
        "target_languages": ["de-de"],
        "voice_locales": ["de-de"],
    }


def test_nothing_is_stored(api: httpx.Client) -> None:
    validate(api, pipeline())

    assert api.get("/api/v1/workflows").json()["pagination"]["total"] == 0


def test_an_empty_definition_misses_source_and_sink(api: httpx.Client) -> None:
    data = validate(api, {})

    assert data["valid"] is False
    assert rules(data["errors"]) == [("missing_source", None), ("missing_sink", None)]


def test_generator_and_translator_need_their_configuration(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["nodes"][1]["config"] = {"target_languages": []}
    definition["graph"]["nodes"][2]["config"] = {"voice_map": {"de-de": []}}

    data = validate(api, definition)

    assert rules(data["errors"]) == [
        ("missing_target_languages", "translate"),
        ("missing_voice", "voice"),
    ]


def test_config_values_are_checked_against_the_catalogue_schema(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["nodes"][3]["config"] = {"format": "flac"}
    definition["graph"]["nodes"][2]["config"]["speed"] = 3
    definition["graph"]["nodes"][0]["config"]["source_language"] = 7

    errors = validate(api, definition)["errors"]

    assert [(e["rule"], e["node_id"], e["message"]) for e in errors] == [
        ("invalid_config", "script", "config.source_language must be of type string"),
        ("invalid_config", "voice", "config.speed must be <= 2.0"),
        ("invalid_config", "export", "config.format must be one of wav, mp3"),
    ]
    assert errors[0]["node_name"] == "Script"


def test_nodes_unreachable_from_a_source_are_errors(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["edges"].pop(0)

    errors = validate(api, definition)["errors"]

    assert rules(errors) == [
        ("unreachable_node", "translate"),
        ("unreachable_node", "voice"),
        ("unreachable_node", "export"),
    ]


def test_a_cycle_is_only_a_warning(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["nodes"].append(
        {"id": "check", "type": "validator_noise", "position": {"x": 1, "y": 1}}
    )
    definition["graph"]["edges"] += [
        edge("e4", "voice", "check"),
        edge("e5", "check", "voice", source_port="fail"),
    ]

    data = validate(api, definition)

    assert data["valid"] is True
    assert rules(data["warnings"]) == [("cycle", "voice")]
    assert "voice -> check -> voice" in data["warnings"][0]["message"]


def test_structural_problems_are_errors_with_save_time_rule_names(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["nodes"].append(
        {"id": "script", "type": "source_script", "position": {"x": 0, "y": 9}}
    )
    definition["graph"]["edges"][2]["targetPort"] = "audio"

    data = validate(api, definition)

    assert data["valid"] is False
    assert rules(data["errors"]) == [
        ("duplicate_node_id", "script"),
        ("incompatible_ports", "export"),
    ]
    assert data["errors"][0]["message"].startswith("definition.graph.nodes[4].id: ")
    assert data["summary"]["node_count"] == 5


@pytest.mark.parametrize("body", [{}, {"definition": None}, {"definition": [1]}])
def test_a_malformed_body_is_422(api: httpx.Client, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/workflows/validate", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "definition"


def _node(**fields: Any) -> dict[str, Any]:
    return {"graph": {"nodes": [{"id": "n", "type": "sink_preview", **fields}]}}


MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    (
        "node-without-type",
        {"graph": {"nodes": [{"id": "n", "position": {"x": 0, "y": 0}}]}},
        "definition.graph.nodes[0].type",
    ),
    ("node-without-position", _node(), "definition.graph.nodes[0].position"),
    (
        "position-not-numeric",
        _node(position={"x": "left", "y": 0}),
        "definition.graph.nodes[0].position.x",
    ),
    (
        "position-a-boolean",
        _node(position={"x": 0, "y": True}),
        "definition.graph.nodes[0].position.y",
    ),
    (
        "node-id-not-a-string",
        {"graph": {"nodes": [{"id": 7, "type": "sink_preview", "position": {"x": 0, "y": 0}}]}},
        "definition.graph.nodes[0].id",
    ),
    (
        "config-version-not-an-integer",
        _node(position={"x": 0, "y": 0}, config_version="2"),
        "definition.graph.nodes[0].config_version",
    ),
    (
        "edge-without-target-port",
        {"graph": {"edges": [{"id": "e", "source": "a", "sourcePort": "lines", "target": "b"}]}},
        "definition.graph.edges[0].targetPort",
    ),
    (
        "edge-with-snake-case-port",
        {"graph": {"edges": [{"id": "e", "source": "a", "source_port": "lines", "target": "b"}]}},
        "definition.graph.edges[0].sourcePort",
    ),
    ("nodes-not-a-list", {"graph": {"nodes": {}}}, "definition.graph.nodes"),
    ("step-not-a-string", {"execution": {"steps": [1]}}, "definition.execution.steps[0]"),
]


@pytest.mark.parametrize(
    ("definition", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_definition_the_request_model_refuses_is_422_naming_the_field(
    api: httpx.Client, definition: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/workflows/validate", json={"definition": definition})

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in error["details"]]


def test_well_formed_but_unsaveable_definitions_are_reported_with_200(api: httpx.Client) -> None:
    definition = pipeline()
    definition["graph"]["nodes"][1]["type"] = "operator_teleporter"
    definition["graph"]["edges"][2]["target"] = "ghost"
    definition["ui"] = {"zoom": 2}

    data = validate(api, definition)

    assert data["valid"] is False
    assert rules(data["errors"]) == [("unknown_node_type", "translate"), ("dangling_edge", None)]
