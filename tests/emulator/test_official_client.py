"""Fidelity: the official `onepin==0.16.1` SDK and CLI work against the emulator unchanged.

Every test runs twice, against the `current` and the `next` profile (`profile` and
`profiled_workspace` come from this folder's conftest): the official client must parse what a
newer server sends as well as today's.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from onepin import OnePinClient
from onepin.core.api_error import ApiError
from onepin.errors import UnprocessableEntityError
from onepin.types import GraphEdge, GraphNode, NodePosition, WorkflowDefinitionInput

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.samples import pipeline

ONEPIN = Path(sys.executable).parent / "onepin"


NODE_TYPES = {"current": 11, "next": 12}
EMPTY_DEFINITION_READ = {"current": {}, "next": {"layout_version": 2}}


@pytest.fixture
def sdk(profiled_workspace: EmulatorWorkspace) -> Iterator[OnePinClient]:
    """The official generated client with retries off, on an httpx client we close."""
    with httpx.Client(timeout=10) as http:
        yield OnePinClient(
            token=profiled_workspace.api_key,
            base_url=profiled_workspace.base_url,
            max_retries=0,
            httpx_client=http,
        )


def test_sdk_crud_round_trip_parses_every_model(sdk: OnePinClient, profile: str) -> None:
    created = sdk.workflows.create_workflow(
        name="SDK workflow", description="from the SDK", definition=pipeline()
    ).data
    fetched = sdk.workflows.get(created.id).data
    patched = sdk.workflows.patch_workflow(created.id, name="SDK renamed", description=None).data
    replaced = sdk.workflows.update_workflow(
        created.id, name="SDK replaced", definition={}, description="again"
    ).data
    copy = sdk.workflows.duplicate_workflow(created.id).data
    listed = sdk.workflows.list(include_definition=True, limit=10, sort=["name"], order=["asc"])
    deleted = sdk.workflows.delete_workflow(copy.id).data

    assert created.name_source == "user"
    if profile == "current":
        assert fetched == created  # a write answers with the migrated definition, like a read
    else:
        assert fetched.model_dump(exclude={"definition"}) == created.model_dump(
            exclude={"definition"}
        )
        assert created.definition == pipeline()  # a write answers with what it stored
        assert fetched.definition["layout_version"] == 2
    assert fetched.run_status_counts is not None
    assert fetched.run_status_counts.failed == 0
    assert (patched.name, patched.description) == ("SDK renamed", None)
    assert replaced.definition == {}
    assert replaced.updated_at > patched.updated_at > created.updated_at
    assert copy.name == "SDK replaced (Copy)"
    assert copy.runs_count == 0
    assert listed.pagination.total == 2
    assert [w.name for w in listed.data] == ["SDK replaced", "SDK replaced (Copy)"]
    assert listed.data[0].definition == EMPTY_DEFINITION_READ[profile]
    assert deleted == {"deleted": True}


def test_sdk_models_are_accepted_as_a_definition(sdk: OnePinClient) -> None:
    definition = WorkflowDefinitionInput(
        graph={
            "nodes": [
                GraphNode(id="s", type="source_script", position=NodePosition(x=0, y=0)),
                GraphNode(id="k", type="sink_preview", position=NodePosition(x=1, y=0)),
            ],
            "edges": [
                GraphEdge(id="e", source="s", source_port="lines", target="k", target_port="lines")
            ],
        }
    )

    created = sdk.workflows.create_workflow(name="typed", definition=definition).data
    fetched = sdk.workflows.get(created.id).data
    validated = sdk.workflows.validate_workflow(definition=definition).data

    assert created.definition["graph"]["edges"][0]["sourcePort"] == "lines"
    assert fetched.definition["graph"]["nodes"][0]["config_version"] == 3
    assert validated.valid is True
    assert validated.errors == []


def test_sdk_list_filters_and_empty_create(
    sdk: OnePinClient, profiled_workspace: EmulatorWorkspace
) -> None:
    untitled = sdk.workflows.create_workflow().data
    profiled_workspace.record_run(untitled.id, "failed")

    failed = sdk.workflows.list(has_failed_run=True, status="failed", search="untitled")
    drafts = sdk.workflows.list(status="draft")

    assert untitled.name == "Untitled workflow"
    assert untitled.name_source == "placeholder"
    assert [w.id for w in failed.data] == [untitled.id]
    assert failed.data[0].last_run_status == "failed"
    assert failed.data[0].definition is None
    assert drafts.pagination.total == 0


def test_sdk_auth_nodes_and_name_availability(
    sdk: OnePinClient, profiled_workspace: EmulatorWorkspace, profile: str
) -> None:
    whoami = sdk.auth.whoami().data
    nodes = sdk.nodes.list_nodes()
    detail = sdk.nodes.get_node_detail_v2("validator_noise").data
    availability = sdk.workflows.check_workflow_name_availability(name="Anything").data

    assert whoami.workspace_id == profiled_workspace.workspace_id
    assert whoami.api_key_id == profiled_workspace.key_id
    assert len(nodes.data) == NODE_TYPES[profile]
    assert [p.name for p in detail.outputs] == ["pass", "fail"]
    assert availability.available is True


def test_sdk_errors_keep_their_types(
    sdk: OnePinClient, profiled_workspace: EmulatorWorkspace
) -> None:
    with pytest.raises(UnprocessableEntityError) as invalid:
        sdk.workflows.create_workflow(name=" ")
    with pytest.raises(ApiError) as missing:
        sdk.workflows.get("00000000-0000-4000-8000-00000000dead")
    with pytest.raises(ApiError) as forbidden:
        sdk.workflows.list(workspace_id="00000000-0000-4000-8000-00000000beef")
    profiled_workspace.add_fault(kind="status", status=503, retry_after=1)
    with pytest.raises(ApiError) as unavailable:
        sdk.workflows.list()

    body: Any = invalid.value.body
    assert body["error"]["details"][0]["field"] == "name"
    assert missing.value.status_code == 404
    assert forbidden.value.status_code == 403
    assert unavailable.value.status_code == 503


def nodes_of(workflow: dict[str, Any]) -> list[str]:
    return [node["id"] for node in workflow["definition"]["graph"]["nodes"]]


def onepin_cli(workspace: EmulatorWorkspace, home: Path, *args: str) -> Any:
    """Run the official CLI with `--json`; returns its parsed stdout (exit code must be 0)."""
    result = subprocess.run(
        [
            str(ONEPIN),
            "--api-key",
            workspace.api_key,
            "--base-url",
            workspace.base_url,
            "--json",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home), "ONEPIN_NO_UPDATE_CHECK": "1"},
        check=False,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_official_cli_create_list_show_update_delete(
    profiled_workspace: EmulatorWorkspace, tmp_path: Path
) -> None:
    workspace = profiled_workspace
    definition = tmp_path / "definition.json"
    definition.write_text(json.dumps(pipeline()))

    created = onepin_cli(
        workspace,
        tmp_path,
        "workflows",
        "create",
        "--name",
        "From the CLI",
        "--description",
        "made by onepin",
        "--definition",
        f"@{definition}",
    )
    listed = onepin_cli(workspace, tmp_path, "workflows", "list")
    shown = onepin_cli(workspace, tmp_path, "workflows", "show", created["id"])
    updated = onepin_cli(
        workspace, tmp_path, "workflows", "update", created["id"], "--name", "Renamed"
    )
    deleted = onepin_cli(workspace, tmp_path, "workflows", "delete", created["id"], "--yes")
    deleted_again = onepin_cli(workspace, tmp_path, "workflows", "delete", created["id"], "--yes")
    whoami = onepin_cli(workspace, tmp_path, "whoami")

    assert created["name"] == "From the CLI"
    assert created["description"] == "made by onepin"
    assert len(created["definition"]["graph"]["nodes"]) == 4
    assert [w["id"] for w in listed] == [created["id"]]
    assert shown["definition"]["graph"]["edges"] == created["definition"]["graph"]["edges"]
    assert nodes_of(shown) == nodes_of(created) == ["script", "translate", "voice", "export"]
    assert updated["name"] == "Renamed"
    assert deleted == {"ok": True}
    assert deleted_again == {"ok": True}  # the CLI treats the 404 of a repeat delete as done
    assert workspace.workspace_id in json.dumps(whoami)
    requests = [(r.method, r.status) for r in workspace.requests()]
    assert ("GET", 200) in requests
    assert ("DELETE", 404) in requests
