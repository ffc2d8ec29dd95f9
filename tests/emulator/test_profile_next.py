"""The `next` profile over real HTTP: a plausible newer Onepin, and how it differs from `current`.

`next` adds a node type, new config defaults with higher `config_version`s, extra keys on nodes
and on the definition (all filled on read), trims names on save, and answers writes with the
definition as stored while reads migrate it. Each behaviour is checked against `current` too.
"""

from pathlib import Path
from typing import Any

import httpx
import pytest

from onepin_sync.emulator.control import EmulatorControl, EmulatorWorkspace
from onepin_sync.emulator.embedded import EmbeddedEmulator, start_embedded
from onepin_sync.emulator.errors import EmulatorError
from tests.samples import edge, pipeline

WORKFLOWS = "/api/v1/workflows"


def created(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post(WORKFLOWS, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def nodes_by_id(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in definition["graph"]["nodes"]}


def with_loudness_check() -> dict[str, Any]:
    """The pipeline with a `validator_loudness` between the generator and the export."""
    definition = pipeline()
    definition["graph"]["nodes"].append(
        {"id": "loud", "type": "validator_loudness", "position": {"x": 500, "y": 0}}
    )
    definition["graph"]["edges"][2] = edge("e3", "voice", "loud")
    definition["graph"]["edges"].append(edge("e4", "loud", "export", source_port="pass"))
    definition["graph"]["edges"].append(edge("e5", "loud", "voice", source_port="fail"))
    return definition


def test_the_control_endpoint_names_the_profile(
    emulator_control: EmulatorControl, emulator_next_control: EmulatorControl
) -> None:
    answer = httpx.get(f"{emulator_next_control.base_url}/_emulator/profile").json()

    assert answer == {"profile": "next", "profiles": ["current", "next"]}
    assert emulator_control.profile() == "current"


def test_the_catalogue_has_the_new_type_new_defaults_and_higher_versions(
    emulator_next: EmbeddedEmulator, api_next: httpx.Client
) -> None:
    with httpx.Client(base_url=emulator_next.base_url) as anonymous:
        served = anonymous.get("/api/v1/nodes").json()["data"]
    by_type = {item["node_type"]: item for item in served}
    detail = api_next.get("/api/v2/nodes/validator_loudness").json()["data"]

    assert len(by_type) == 12
    loudness = by_type["validator_loudness"]
    assert [p["name"] for p in loudness["inputs"]] == ["lines"]
    assert [p["name"] for p in loudness["outputs"]] == ["pass", "fail"]
    assert loudness["version"] == 1
    assert loudness["config_schema"]["target_lufs"]["default"] == -16
    assert detail["category"] == "validation"
    assert by_type["sink_preview"]["version"] == 3
    assert by_type["sink_preview"]["config_schema"]["sample_rate_hz"]["default"] == 44100
    assert by_type["operator_generator"]["version"] == 5
    assert by_type["operator_generator"]["config_schema"]["stability"]["default"] == 0.5
    assert by_type["validator_noise"]["version"] == 2  # types that did not change keep theirs


def test_only_next_accepts_the_new_node_type(api: httpx.Client, api_next: httpx.Client) -> None:
    body = {"name": "loud", "definition": with_loudness_check()}

    refused = api.post(WORKFLOWS, json=body)
    accepted = api_next.post(WORKFLOWS, json=body)
    validated = api_next.post(f"{WORKFLOWS}/validate", json={"definition": body["definition"]})

    assert refused.status_code == 422
    assert "unknown node type 'validator_loudness'" in refused.text
    assert accepted.status_code == 201, accepted.text
    assert validated.json()["data"]["valid"] is True
    assert [w["rule"] for w in validated.json()["data"]["warnings"]] == ["cycle"]


def test_reads_migrate_with_new_defaults_versions_and_extra_keys(api_next: httpx.Client) -> None:
    written = with_loudness_check()
    written["graph"]["nodes"][3]["ui"] = {"collapsed": True, "colour": "red"}
    workflow = created(api_next, name="migrated on read", definition=written)

    fetched = api_next.get(f"{WORKFLOWS}/{workflow['id']}").json()["data"]["definition"]
    listed = api_next.get(WORKFLOWS, params={"include_definition": "true"}).json()["data"]

    nodes = nodes_by_id(fetched)
    assert fetched["layout_version"] == 2
    assert nodes["export"]["config"] == {"format": "wav", "sample_rate_hz": 44100}
    assert nodes["export"]["config_version"] == 3
    assert nodes["voice"]["config"]["stability"] == 0.5
    assert nodes["voice"]["config"]["speed"] == 1.0
    assert nodes["voice"]["config_version"] == 5
    assert nodes["loud"]["config"] == {"target_lufs": -16, "max_retries": 2}
    assert nodes["script"]["ui"] == {"collapsed": False}
    assert nodes["export"]["ui"] == {"collapsed": True, "colour": "red"}  # its own ui is kept
    assert nodes["script"]["position"] == {"x": 0.0, "y": 0.0}
    assert [w["definition"] for w in listed] == [fetched]


def test_current_reads_add_none_of_the_next_keys(api: httpx.Client) -> None:
    workflow = created(api, name="current", definition=pipeline())

    fetched = api.get(f"{WORKFLOWS}/{workflow['id']}").json()["data"]["definition"]

    assert "layout_version" not in fetched
    assert all("ui" not in n for n in fetched["graph"]["nodes"])
    assert nodes_by_id(fetched)["export"]["config"] == {"format": "wav"}


def test_write_responses_carry_the_definition_as_stored(api_next: httpx.Client) -> None:
    written = pipeline()
    replacement = with_loudness_check()
    workflow = created(api_next, name="raw", definition=written)
    path = f"{WORKFLOWS}/{workflow['id']}"

    patched = api_next.patch(path, json={"description": "touched"}).json()["data"]
    copy = api_next.post(f"{path}/duplicate").json()["data"]
    replaced = api_next.put(path, json={"name": "raw", "definition": replacement}).json()["data"]
    read = api_next.get(path).json()["data"]

    assert workflow["definition"] == written  # integer positions, no defaults, no versions
    assert patched["definition"] == written
    assert copy["definition"] == written
    assert replaced["definition"] == replacement
    assert read["definition"] != replacement
    assert read["definition"]["layout_version"] == 2


def test_current_write_responses_are_migrated_like_reads(api: httpx.Client) -> None:
    workflow = created(api, name="migrated", definition=pipeline())

    fetched = api.get(f"{WORKFLOWS}/{workflow['id']}").json()["data"]

    assert workflow["definition"] == fetched["definition"]
    assert workflow["definition"] != pipeline()


@pytest.mark.parametrize(
    ("sent", "stored_by_current", "stored_by_next"),
    [
        ("  Padded  ", "  Padded  ", "Padded"),
        ("\tTabbed\n", None, "Tabbed"),  # current refuses the control characters
        (" " + "x" * 200 + " ", None, "x" * 200),  # 202 as sent, 200 once trimmed
        ("Plain", "Plain", "Plain"),
    ],
    ids=["spaces", "tab-and-newline", "long-until-trimmed", "plain"],
)
def test_next_trims_names_before_checking_and_storing_them(
    api: httpx.Client,
    api_next: httpx.Client,
    sent: str,
    stored_by_current: str | None,
    stored_by_next: str,
) -> None:
    for client, expected in ((api, stored_by_current), (api_next, stored_by_next)):
        response = client.post(WORKFLOWS, json={"name": sent})
        if expected is None:
            assert response.status_code == 422, response.text
            continue
        workflow = response.json()["data"]
        path = f"{WORKFLOWS}/{workflow['id']}"
        put = client.put(path, json={"name": sent, "definition": {}}).json()["data"]
        patch = client.patch(path, json={"name": sent}).json()["data"]
        assert [workflow["name"], put["name"], patch["name"]] == [expected] * 3
        assert client.get(path).json()["data"]["name"] == expected


def test_next_refuses_a_name_that_is_blank_once_trimmed(api_next: httpx.Client) -> None:
    response = api_next.post(WORKFLOWS, json={"name": " \t "})

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "name", "message": "must not be blank"}
    ]


def test_next_keeps_the_documented_api_the_official_models_parse(
    workspace_next: EmulatorWorkspace, api_next: httpx.Client
) -> None:
    workflow = created(api_next, name="shape", definition=pipeline())
    deleted = api_next.delete(f"{WORKFLOWS}/{workflow['id']}")

    assert workflow["user_id"] == workspace_next.user_id
    assert workflow["name_source"] == "user"
    assert deleted.json()["data"] == {"deleted": True}
    assert api_next.get(f"{WORKFLOWS}/{workflow['id']}").status_code == 404


def test_the_embedded_server_and_start_embedded_take_a_profile(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="unknown emulator profile 'later'"):
        EmbeddedEmulator(profile="later")

    emulator = start_embedded(tmp_path / "next.db", profile="next")
    try:
        with EmulatorControl(emulator.base_url) as control:
            assert emulator.options.profile == "next"
            with pytest.raises(httpx.HTTPStatusError):
                control.profile()  # no control endpoint unless asked for
        with httpx.Client(base_url=emulator.base_url) as anonymous:
            served = anonymous.get("/api/v1/nodes").json()["data"]
    finally:
        emulator.stop()

    assert "validator_loudness" in {item["node_type"] for item in served}


def test_an_upgrade_in_place_keeps_what_is_stored_and_reads_it_by_the_new_rules() -> None:
    with (
        EmbeddedEmulator(control=True) as emulator,
        EmulatorControl(emulator.base_url) as control,
    ):
        key = control.new_workspace()
        headers = {"Authorization": f"Bearer {key.api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers) as api:
            before = created(api, name="Stored before", definition=pipeline())
            control.set_profile("next")
            after = api.get(f"{WORKFLOWS}/{before['id']}").json()["data"]
            unknown = httpx.put(f"{emulator.base_url}/_emulator/profile", json={"profile": "later"})
            profile = control.profile()

    assert profile == "next"
    assert after["updated_at"] == before["updated_at"]  # nobody wrote to it
    assert "layout_version" not in before["definition"]
    assert after["definition"]["layout_version"] == 2
    assert unknown.status_code == 422
    assert "unknown emulator profile 'later'" in unknown.json()["error"]["message"]
