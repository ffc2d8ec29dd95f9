"""The versioned JSON documents `--json` prints for `validate`, `apply`, `import`, `list` and
`pull` (the plan's is `plan_document.py`): one document on stdout, nothing else there.

Every document starts with `format_version` (1) and `kind` (`onepin-sync-<command>`), so a
program can check what it reads before it reads on; a change that would break a reader bumps
`format_version`. The models below are the contract: the JSON Schemas shipped in
`onepin_sync/schemas/` are generated from them (`DOCUMENTS`), and a test keeps the two in step.
Values are masked by the caller (the documents never hold a secret). Pure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from onepin_sync.core.models import Action, FrozenModel
from onepin_sync.core.plan_document import PlanDocument, PlanTarget
from onepin_sync.core.results import ChangeStatus
from onepin_sync.core.state_documents import (
    StateEntryDocument,
    StateForgetDocument,
    StateListDocument,
    StateMigrateDocument,
    StateMoveDocument,
    StateRebuildDocument,
)

FORMAT_VERSION = 1


class Finding(FrozenModel):
    """One of the API's run-readiness findings about a workflow (`validate --online`)."""

    rule: str
    node_id: str | None
    message: str


class Blocked(FrozenModel):
    code: str
    message: str


class WorkflowReport(FrozenModel):
    key: str
    valid: bool
    errors: list[Finding]
    warnings: list[Finding]
    blocked: list[Blocked]


class VariableDoc(FrozenModel):
    """A `${env.NAME}` or `${secret.NAME}` the files use: what a plan will need set."""

    name: str
    secret: bool
    set: bool


class ValidateDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-validate"]
    tool_version: str
    valid: bool
    online: bool  # whether the API's checks ran (`--online`)
    workflows: int  # workflow files checked
    variables: list[VariableDoc]
    reports: list[WorkflowReport]  # by key; empty offline


class ResultDoc(FrozenModel):
    """How one planned change ended."""

    key: str
    action: Action
    status: ChangeStatus
    detail: str | None
    remote_id: str | None


class ApplyCounts(FrozenModel):
    created: int
    updated: int
    deleted: int
    failed: int
    skipped: int
    conflict: int


class ApplyDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-apply"]
    tool_version: str
    target: PlanTarget
    approved: bool  # false: the question was answered with anything but `yes`
    complete: bool  # every planned change done (true when there was nothing to do)
    interrupted_by: str | None  # the signal that stopped the writes early (`SIGINT`, `SIGTERM`)
    serial: int  # the lockfile's serial after the run
    counts: ApplyCounts
    results: list[ResultDoc]  # in the plan's order
    refreshed: int  # lockfile-only moves recorded without writing to Onepin
    verified: bool | None  # a fresh plan after the writes was empty; null when not checked
    leftover: list[str]  # keys a fresh plan still shows after the writes (please report)


class ImportedDoc(FrozenModel):
    key: str
    workflow_id: str
    written: str | None  # the workflow file written; null when an existing file was adopted


class ImportDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-import"]
    tool_version: str
    approved: bool  # false: `import --all` was not approved, nothing was written
    saved_to: str | None  # `import --all --out FILE`: the saved plan, nothing else written
    imported: list[ImportedDoc]  # by key


class ListedDoc(FrozenModel):
    id: str
    name: str
    updated_at: str
    managed: bool
    key: str | None  # the lockfile's key; null when unmanaged
    import_key: str | None  # the key `import` would give it (unmanaged only)


class ListDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-list"]
    tool_version: str
    unmanaged_only: bool
    workflows: list[ListedDoc]  # managed by key, then unmanaged by name


class PullDocument(FrozenModel):
    format_version: Literal[1]
    kind: Literal["onepin-sync-pull"]
    tool_version: str
    dry_run: bool  # `--dry-run`: nothing was written
    written: list[str]  # the workflow files rewritten from the workspace (would be, dry run)


DOCUMENTS: dict[str, type[BaseModel]] = {
    "onepin-sync-plan": PlanDocument,
    "onepin-sync-validate": ValidateDocument,
    "onepin-sync-apply": ApplyDocument,
    "onepin-sync-import": ImportDocument,
    "onepin-sync-list": ListDocument,
    "onepin-sync-pull": PullDocument,
    "onepin-sync-state-list": StateListDocument,
    "onepin-sync-state-entry": StateEntryDocument,
    "onepin-sync-state-mv": StateMoveDocument,
    "onepin-sync-state-rm": StateForgetDocument,
    "onepin-sync-state-rebuild": StateRebuildDocument,
    "onepin-sync-state-migrate": StateMigrateDocument,
}
"""Every document `--json` prints, by kind: the schemas shipped in the package."""


def document_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document `kind`, as shipped in the package."""
    schema = DOCUMENTS[kind].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:onepin-sync:schema:{kind}:{FORMAT_VERSION}",
        **schema,
        "title": kind,
    }
