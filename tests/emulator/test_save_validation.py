"""Save-time validation of create / PUT / PATCH: 422 `VALIDATION_ERROR` with field details."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.samples import edge, pipeline, single_node

Mutation = Callable[[dict[str, Any]], None]


def nodes(definition: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = definition["graph"]["nodes"]
    return result


def edges(definition: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = definition["graph"]["edges"]
    return result


def rejected(api: httpx.Client, body: dict[str, Any]) -> list[dict[str, str]]:
    response = api.post("/api/v1/workflows", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(response.json()) == {"error", "meta"}
    details: list[dict[str, str]] = error["details"]
    return details


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be blank"),
        ("   ", "must not be blank"),
        ("x" * 201, "must be at most 200 characters (got 201)"),
        ("line\nbreak", "must not contain control characters"),
    ],
    ids=["empty", "blank", "too-long", "control-character"],
)
def test_bad_names_are_refused(api: httpx.Client, name: str, message: str) -> None:
    assert rejected(api, {"name": name}) == [{"field": "name", "message": message}]


def test_name_limits_are_inclusive(api: httpx.Client) -> None:
    for name in ("x", "y" * 200, " padded "):
        response = api.post("/api/v1/workflows", json={"name": name})
        assert response.status_code == 201
        assert response.json()["data"]["name"] == name  # stored as sent


def test_description_limit(api: httpx.Client) -> None:
    assert api.post("/api/v1/workflows", json={"description": "d" * 5000}).status_code == 201
    details = rejected(api, {"description": "d" * 5001})
    assert [d["field"] for d in details] == ["description"]


def test_wrong_json_types_are_refused_by_request_validation(api: httpx.Client) -> None:
    details = rejected(api, {"name": 42, "description": ["x"], "definition": "graph"})

    assert {d["field"] for d in details} == {"name", "description", "definition"}


def test_every_problem_is_reported_at_once(api: httpx.Client) -> None:
    definition = pipeline()
    nodes(definition)[1]["type"] = "operator_teleporter"
    edges(definition)[0]["id"] = "e2"

    details = rejected(api, {"name": "", "definition": definition})

    assert [d["field"] for d in details] == [
        "name",
        "definition.graph.nodes[1].type",
        "definition.graph.edges[1].id",
    ]


def _drop(key: str, index: int = 0, part: str = "nodes") -> Mutation:
    def mutate(definition: dict[str, Any]) -> None:
        del definition["graph"][part][index][key]

    return mutate


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(definition: dict[str, Any]) -> None:
        target: Any = definition
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


CASES: list[tuple[str, Mutation, str, str]] = [
    ("node-id-missing", _drop("id"), "definition.graph.nodes[0].id", "field required"),
    ("node-type-missing", _drop("type"), "definition.graph.nodes[0].type", "field required"),
    (
        "node-position-missing",
        _drop("position"),
        "definition.graph.nodes[0].position",
        "field required",
    ),
    (
        "position-y-missing",
        _set(("graph", "nodes", 0, "position"), {"x": 1}),
        "definition.graph.nodes[0].position.y",
        "field required",
    ),
    (
        "position-not-number",
        _set(("graph", "nodes", 0, "position"), {"x": "1", "y": True}),
        "definition.graph.nodes[0].position.x",
        "must be a number",
    ),
    (
        "node-unknown-type",
        _set(("graph", "nodes", 0, "type"), "source_fax"),
        "definition.graph.nodes[0].type",
        "unknown node type 'source_fax'",
    ),
    (
        "node-id-duplicate",
        _set(("graph", "nodes", 1, "id"), "script"),
        "definition.graph.nodes[1].id",
        "duplicate node id 'script'",
    ),
    (
        "config-not-object",
        _set(("graph", "nodes", 0, "config"), ["x"]),
        "definition.graph.nodes[0].config",
        "must be an object",
    ),
    (
        "config-version-not-int",
        _set(("graph", "nodes", 0, "config_version"), "3"),
        "definition.graph.nodes[0].config_version",
        "must be an integer",
    ),
    (
        "edge-field-missing",
        _drop("targetPort", part="edges"),
        "definition.graph.edges[0].targetPort",
        "field required",
    ),
    (
        "edge-snake-case-port",
        _set(
            ("graph", "edges", 0),
            {"id": "e1", "source": "script", "source_port": "lines", "target": "translate"}
            | {"targetPort": "lines"},
        ),
        "definition.graph.edges[0].sourcePort",
        "field required",
    ),
    (
        "edge-id-duplicate",
        _set(("graph", "edges", 2, "id"), "e1"),
        "definition.graph.edges[2].id",
        "duplicate edge id 'e1'",
    ),
    (
        "edge-unknown-source",
        _set(("graph", "edges", 0, "source"), "ghost"),
        "definition.graph.edges[0].source",
        "no node with id 'ghost'",
    ),
    (
        "edge-unknown-target",
        _set(("graph", "edges", 2, "target"), "ghost"),
        "definition.graph.edges[2].target",
        "no node with id 'ghost'",
    ),
    (
        "edge-source-port-not-an-output",
        _set(("graph", "edges", 0, "sourcePort"), "pass"),
        "definition.graph.edges[0].sourcePort",
        "'pass' is not an output port of source_script node 'script'",
    ),
    (
        "edge-into-a-source",
        _set(("graph", "edges", 0), edge("e1", "translate", "script")),
        "definition.graph.edges[0].targetPort",
        "'lines' is not an input port of source_script node 'script'",
    ),
    (
        "step-unknown",
        _set(("execution", "steps", 1), "ghost"),
        "definition.execution.steps[1]",
        "no node with id 'ghost'",
    ),
    ("graph-not-object", _set(("graph",), []), "definition.graph", "must be an object"),
    ("nodes-not-list", _set(("graph", "nodes"), {}), "definition.graph.nodes", "must be a list"),
    (
        "params-not-object",
        _set(("execution", "params"), 3),
        "definition.execution.params",
        "must be an object",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_structural_problems_are_refused(
    api: httpx.Client, mutate: Mutation, field: str, message: str
) -> None:
    definition = pipeline()
    mutate(definition)

    details = rejected(api, {"name": "bad graph", "definition": definition})

    assert [d["field"] for d in details][:1] == [field]
    assert message in details[0]["message"]


def test_validator_ports_pass_and_fail_are_accepted(api: httpx.Client) -> None:
    definition = pipeline()
    nodes(definition).append(
        {"id": "check", "type": "validator_noise", "position": {"x": 500, "y": 100}}
    )
    edges(definition)[2] = edge("e3", "voice", "check")
    edges(definition).append(edge("e4", "check", "export", source_port="pass"))
    edges(definition).append(edge("e5", "check", "voice", source_port="fail"))

    response = api.post("/api/v1/workflows", json={"name": "validated", "definition": definition})

    assert response.status_code == 201, response.text


def test_extra_keys_and_omitted_optional_parts_are_accepted(api: httpx.Client) -> None:
    for definition in (
        {},
        {"graph": None, "execution": None},
        {"graph": {"nodes": None}},
        {"graph": {"nodes": [], "edges": []}, "ui": {"zoom": 2}},
        {**single_node(), "execution": {"steps": ["n1"], "params": {"k": 1}}},
    ):
        response = api.post("/api/v1/workflows", json={"definition": definition})
        assert response.status_code == 201, (definition, response.text)


def test_nan_in_a_definition_is_refused(api: httpx.Client) -> None:
    node = '{"id": "n", "type": "sink_preview", "position": {"x": NaN, "y": 0}}'
    raw = '{"definition": {"graph": {"nodes": [' + node + "]}}}"
    response = api.post(
        "/api/v1/workflows", content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "definition", "message": "must not contain NaN or Infinity"}
    ]


def test_put_and_patch_validate_like_create(api: httpx.Client) -> None:
    created = api.post("/api/v1/workflows", json={"name": "target"}).json()["data"]
    path = f"/api/v1/workflows/{created['id']}"
    broken = single_node("source_fax")

    put = api.put(path, json={"name": "x" * 201, "definition": broken})
    patch = api.patch(path, json={"definition": broken, "description": "d" * 5001})

    assert put.status_code == 422
    assert [d["field"] for d in put.json()["error"]["details"]] == [
        "name",
        "definition.graph.nodes[0].type",
    ]
    assert patch.status_code == 422
    assert [d["field"] for d in patch.json()["error"]["details"]] == [
        "description",
        "definition.graph.nodes[0].type",
    ]
    assert api.get(path).json()["data"]["name"] == "target"  # nothing was written


def test_lone_surrogates_are_refused_or_escaped_never_a_crash(api: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    name = api.post("/api/v1/workflows", content=b'{"name": "bad \\ud800"}', headers=headers)
    definition = api.post(
        "/api/v1/workflows",
        content=b'{"definition": {"graph": {"nodes": [], "note": "\\udfff"}}}',
        headers=headers,
    )
    node = '{"id": "\\ud800", "type": "sink_preview", "position": {"x": 0, "y": 0}}'
    validated = api.post(
        "/api/v1/workflows/validate",
        content=('{"definition": {"graph": {"nodes": [' + node + "]}}}").encode(),
        headers=headers,
    )

    assert name.status_code == 422
    assert name.json()["error"]["details"][0]["field"] == "name"
    assert definition.status_code == 422
    assert definition.json()["error"]["details"] == [
        {"field": "definition", "message": "must contain only valid Unicode text"}
    ]
    assert validated.status_code == 200
    assert validated.json()["data"]["summary"]["sink_node_ids"] == ["\ud800"]


def test_a_coordinate_too_large_for_a_float_is_refused_not_stored(api: httpx.Client) -> None:
    """The real server models positions as floats: an integer beyond a float's range is 422,
    never a stored workflow that every listing with definitions then fails to serve."""
    node = '{"id": "n", "type": "sink_preview", "position": {"x": 1' + "0" * 400 + ', "y": 0}}'
    raw = '{"name": "huge", "definition": {"graph": {"nodes": [' + node + "]}}}"
    response = api.post(
        "/api/v1/workflows", content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == [
        {"field": "definition.graph.nodes[0].position.x", "message": "must be a number"}
    ]
    listed = api.get("/api/v1/workflows", params={"include_definition": "true"})
    assert listed.status_code == 200
    assert listed.json()["data"] == []
