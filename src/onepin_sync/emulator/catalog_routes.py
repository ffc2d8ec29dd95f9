"""The node catalogue: `GET /api/v1/nodes` (no auth) and `GET /api/v2/nodes/{node_type}`.

Both are built from the catalogue of the emulator's profile (`catalog.py`, `profiles.py`);
`version` is the type's current `config_version` (our assumption: the documentation does not say
what the number tracks).
Imports FastAPI.
"""

from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

from onepin_sync.emulator.catalog import NodeTypeSpec, plain_json
from onepin_sync.emulator.dependencies import AppState, CatalogKey
from onepin_sync.emulator.envelope import ApiProblem
from onepin_sync.emulator.responses import ok
from onepin_sync.emulator.schemas import NodeDetailOut, NodePortsOut, PortOut

router = APIRouter()


def _ports(spec: NodeTypeSpec) -> dict[str, Any]:
    """The `NodePortsOut` fields of a node type."""
    return {
        "node_type": spec.node_type,
        "display_name": spec.display_name,
        "description": spec.description,
        "version": spec.config_version,
        "beta": False,
        "inputs": [PortOut(name=port) for port in spec.inputs],
        "outputs": [PortOut(name=port) for port in spec.outputs],
        "config_schema": plain_json(spec.config_schema),
    }


@router.get("/api/v1/nodes")
async def list_nodes(state: AppState) -> JSONResponse:
    """Every node type of the profile with its ports; no authentication, like the real one."""
    items = [NodePortsOut(**_ports(spec)) for spec in state.profile.node_types.values()]
    return ok(items, pagination={"limit": 100, "next": None, "prev": None})


@router.get("/api/v2/nodes/{node_type}")
async def node_detail(state: AppState, node_type: str, key: CatalogKey) -> JSONResponse:
    """`NodeDetailOut`: the ports entry plus `category` and (empty) runtime `options`."""
    spec = state.profile.node_types.get(node_type)
    if spec is None:
        raise ApiProblem(404, f"Unknown node type '{node_type}'.")
    return ok(NodeDetailOut(**_ports(spec), category=spec.category, options={}))
