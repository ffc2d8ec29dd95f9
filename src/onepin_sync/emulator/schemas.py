"""The emulator's wire shapes: every request body it parses and every response body it builds.

    workflow API requests    WorkflowCreateBody, WorkflowReplaceBody, WorkflowPatchBody,
                             WorkflowValidateBody (+ DefinitionIn: the SDK's definition model)
    workflow API responses   WorkflowOut (+ RunStatusCounts), DeletedOut, NameAvailabilityOut,
                             ValidateOut (+ ValidateSummary, ValidationIssue, BlockedOut),
                             WhoamiOut, NodePortsOut (+ PortOut), NodeDetailOut
    control endpoint         NewKeyBody, RunBody; WorkspaceKey, FaultId, ArmedFault,
                             RequestRecord, RunStats, ProfileOut, Cleared

Response field names and optionality follow the official SDK 0.16.1 models (`WorkflowOut`,
`AuthWhoamiOut`, `NodePortsOut`, `WorkflowValidateOut`, ...); where the emulator adds or fills a
field beyond them, the field says so. A response is sent as `dump(model)`: fields never set are
left out, which is how a listing omits `definition` and an issue without a node omits `node_id`,
while a field set to None (`description`, `last_run_at`) is sent as null. So a response model
gives a default only to a field that may be left out. `ResponseModel` is their base.

Imports pydantic and the fault rule model only (no FastAPI): the control client shares the
control endpoint's shapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)

from onepin_sync.emulator.faults import FaultRule
from onepin_sync.emulator.keys import check_scopes

RunStatus = Literal["pending", "running", "completed", "failed", "cancelled", "paused"]


class _Body(BaseModel):
    """A request body: unknown keys are ignored, as FastAPI's default models do."""


class ResponseModel(BaseModel):
    """A response body (or part of one): immutable once built."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """The JSON value, unset fields left out."""
        return self.model_dump(exclude_unset=True, by_alias=True)


def dump(data: ResponseModel | Sequence[ResponseModel]) -> Any:
    """The JSON value of a response model, or of a list of them."""
    if isinstance(data, ResponseModel):
        return data.to_json()
    return [item.to_json() for item in data]


# --- workflow API: requests ----------------------------------------------------------------------


class WorkflowCreateBody(_Body):
    """`POST /workflows`: everything optional; `{}` creates an untitled, empty workflow."""

    name: str | None = None
    description: str | None = None
    definition: dict[str, Any] | None = None


class WorkflowReplaceBody(_Body):
    """`PUT /workflows/{id}`: name and definition required; an omitted description clears it
    (our assumption: the documentation leaves an omitted description on PUT open)."""

    name: str
    description: str | None = None
    definition: dict[str, Any]


class WorkflowPatchBody(_Body):
    """`PATCH /workflows/{id}`: the keys present replace; `description: null` clears."""

    name: str | None = None
    description: str | None = None
    definition: dict[str, Any] | None = None


class _DefinitionPart(BaseModel):
    """Part of a definition as the SDK's `WorkflowDefinitionInput` models it: extra keys allowed.

    Numbers and strings are strict (`"1"` is not a number, `true` not an integer), like the
    emulator's save-time rules; whether the real server coerces them is our assumption.
    """

    model_config = ConfigDict(extra="allow")


class PositionIn(_DefinitionPart):
    x: StrictFloat
    y: StrictFloat


class NodeIn(_DefinitionPart):
    """`GraphNode`. `type` is any string, as the SDK's open enum allows: an unknown type is a
    validation finding, not a malformed body (our assumption about the server's model)."""

    id: StrictStr
    type: StrictStr
    position: PositionIn
    name: StrictStr | None = None
    config: dict[str, Any] | None = None
    config_version: StrictInt | None = None


class EdgeIn(_DefinitionPart):
    """`GraphEdge`: every field required; ports camelCase on the wire."""

    id: StrictStr
    source: StrictStr
    source_port: StrictStr = Field(alias="sourcePort")
    target: StrictStr
    target_port: StrictStr = Field(alias="targetPort")


class GraphIn(_DefinitionPart):
    nodes: list[NodeIn] | None = None
    edges: list[EdgeIn] | None = None


class ExecutionIn(_DefinitionPart):
    steps: list[StrictStr] | None = None
    params: dict[str, Any] | None = None


class DefinitionIn(_DefinitionPart):
    """`WorkflowDefinitionInput`: the request model of `POST /workflows/validate`."""

    graph: GraphIn | None = None
    execution: ExecutionIn | None = None

    def as_sent(self) -> dict[str, Any]:
        """The definition as a JSON value again (extra keys kept, omitted keys left out)."""
        sent: dict[str, Any] = self.model_dump(by_alias=True, exclude_unset=True)
        return sent


class WorkflowValidateBody(_Body):
    """`POST /workflows/validate`: a definition the request model accepts, or 422."""

    definition: DefinitionIn


# --- workflow API: responses ---------------------------------------------------------------------


class RunStatusCounts(ResponseModel):
    """Runs per raw status; every status always present."""

    pending: int
    running: int
    completed: int
    failed: int
    cancelled: int
    paused: int


class WorkflowOut(ResponseModel):
    """`WorkflowOut` / `WorkflowListItem` (a listing sets `definition` only when asked to)."""

    id: str
    user_id: str
    name: str
    name_source: str
    description: str | None
    definition: dict[str, Any] | None = None
    created_at: str
    updated_at: str
    runs_count: int
    last_run_at: str | None
    last_run_status: str | None
    run_status_counts: RunStatusCounts

    def to_json(self) -> dict[str, Any]:
        """As for any response, but the definition (free-form JSON the view built for this
        response alone) is handed over as it is instead of being copied value by value, which
        was most of the cost of a listing page."""
        fields = self.model_dump(exclude_unset=True, by_alias=True, exclude={"definition"})
        if "definition" not in self.model_fields_set:
            return fields
        out: dict[str, Any] = {}
        for name, value in fields.items():
            out[name] = value
            if name == "description":
                out["definition"] = self.definition
        return out


class DeletedOut(ResponseModel):
    """`DELETE /workflows/{id}`: `data` is a free-form map in the documentation (its example is
    `{}`, auto-generated filler); the SDK's own test fixture answers `{"deleted": true}`, which
    the emulator sends."""

    deleted: bool


class NameAvailabilityOut(ResponseModel):
    """`GET /workflows/name-availability`: the trimmed name, always available."""

    name: str
    available: bool


class ValidationIssue(ResponseModel):
    """One entry of `errors` / `warnings`."""

    rule: str
    node_id: str | None = None
    node_name: str | None = None
    message: str


class BlockedOut(ResponseModel):
    """One plan-entitlement refusal (the emulator has no plans, so never sent)."""

    code: str
    message: str


class ValidateSummary(ResponseModel):
    """`summary`: free-form in the SDK; these keys are the emulator's own choice."""

    node_count: int
    edge_count: int
    node_types: dict[str, int]
    source_node_ids: list[Any]
    sink_node_ids: list[Any]
    target_languages: list[str]
    voice_locales: list[str]


class ValidateOut(ResponseModel):
    """`WorkflowValidateOut`: `valid` reflects `errors` only."""

    valid: bool
    summary: ValidateSummary
    errors: list[ValidationIssue]
    warnings: list[ValidationIssue]
    blocked: list[BlockedOut]


class WhoamiOut(ResponseModel):
    """`AuthWhoamiOut` of an API key."""

    auth_kind: Literal["api_key"]
    user_id: str
    workspace_id: str
    api_key_id: str
    scopes: list[str]


class PortOut(ResponseModel):
    name: str


class NodePortsOut(ResponseModel):
    """One entry of `GET /api/v1/nodes`."""

    node_type: str
    display_name: str
    description: str
    version: int
    beta: bool
    inputs: list[PortOut]
    outputs: list[PortOut]
    config_schema: dict[str, Any]


class NodeDetailOut(NodePortsOut):
    """`GET /api/v2/nodes/{type}`: the ports entry plus category and runtime options."""

    category: str
    options: dict[str, Any]


# --- control endpoint ----------------------------------------------------------------------------


class NewKeyBody(_Body):
    """A key to create: in `workspace_id`, or in a fresh workspace; all scopes by default."""

    model_config = ConfigDict(extra="forbid")

    workspace_id: uuid.UUID | None = None
    scopes: list[str] | None = None

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str] | None) -> list[str] | None:
        if scopes is not None:
            check_scopes(scopes)
        return scopes


class RunBody(_Body):
    """One run to add to a workflow's history."""

    model_config = ConfigDict(extra="forbid")

    status: RunStatus
    created_at: datetime | None = None


class WorkspaceKey(ResponseModel):
    """A key the control endpoint created, and the workspace it is bound to."""

    api_key: str
    workspace_id: str
    scopes: tuple[str, ...]
    key_id: str
    user_id: str


class ClockBody(_Body):
    """How far to move the emulator's clock forward."""

    model_config = ConfigDict(extra="forbid")

    advance_seconds: float = Field(ge=0, allow_inf_nan=False)


class ClockOut(ResponseModel):
    """The emulator's time now."""

    now: str


class FaultId(ResponseModel):
    id: str


class ArmedFault(ResponseModel):
    """A fault rule the emulator holds, with how often it matched and fired."""

    id: str
    rule: FaultRule
    matched: int
    fired: int


class RequestRecord(ResponseModel):
    """One entry of the request log; `status` is None when the connection was dropped, and
    `body_keys` lists the sorted top-level keys of a JSON object body (None for other bodies)."""

    seq: int
    method: str
    path: str
    query: str
    status: int | None
    bytes_in: int
    bytes_out: int
    duration_ms: float
    fault: str | None
    workspace_id: str | None
    body_keys: list[str] | None = None
    received_at: float = 0.0  # Unix time (seconds) when the request arrived


class RunStats(ResponseModel):
    """A workflow's run statistics after a recorded run."""

    workflow_id: str
    runs_count: int
    last_run_at: str | None
    last_run_status: str | None
    run_status_counts: dict[str, int]


class ProfileBody(_Body):
    """Which profile the server plays from now on."""

    model_config = ConfigDict(extra="forbid")

    profile: str


class ProfileOut(ResponseModel):
    """The profile a server plays, and every profile there is."""

    profile: str
    profiles: list[str]


class Cleared(ResponseModel):
    """How many faults or log records a DELETE on the control endpoint removed."""

    cleared: int
