"""`--json`: each command's outcome as its versioned document (`core/documents.py`), printed
alone on stdout. The run's `Redactor` masks every text that could quote a secret (server
messages, failure details)."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable

from pydantic import BaseModel

from onepin_sync import __version__
from onepin_sync.commands.apply import ApplyOutcome
from onepin_sync.commands.importing import ImportOutcome
from onepin_sync.commands.listing import ListOutcome
from onepin_sync.commands.pull import PullOutcome
from onepin_sync.commands.validate import ValidateOutcome
from onepin_sync.core.documents import (
    FORMAT_VERSION,
    ApplyCounts,
    ApplyDocument,
    Blocked,
    Finding,
    ImportDocument,
    ImportedDoc,
    ListDocument,
    ListedDoc,
    PullDocument,
    ResultDoc,
    ValidateDocument,
    VariableDoc,
    WorkflowReport,
)
from onepin_sync.core.models import Action
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ChangeStatus
from onepin_sync.views.console import ConsoleUi


def print_document(ui: ConsoleUi, document: BaseModel) -> None:
    """The document as the one thing on stdout: sorted keys, 2-space indent."""
    text = json.dumps(document.model_dump(mode="json"), indent=2, sort_keys=True)
    ui.document.out(text, highlight=False)


def validate_document(outcome: ValidateOutcome) -> ValidateDocument:
    mask = outcome.redactor.text
    reports = [
        WorkflowReport(
            key=key,
            valid=report.valid,
            errors=[Finding(rule=i.rule, node_id=i.node_id, message=mask(i.message))
                    for i in report.errors],
            warnings=[Finding(rule=i.rule, node_id=i.node_id, message=mask(i.message))
                      for i in report.warnings],
            blocked=[Blocked(code=b.code, message=mask(b.message)) for b in report.blocked],
        )
        for key, report in sorted(outcome.reports.items())
    ]  # fmt: skip
    return ValidateDocument(
        format_version=FORMAT_VERSION,
        kind="onepin-sync-validate",
        tool_version=__version__,
        valid=outcome.valid,
        online=bool(outcome.reports),
        workflows=outcome.workflows,
        variables=[
            VariableDoc(name=v.name, secret=v.secret, set=v.is_set) for v in outcome.variables
        ],
        reports=reports,
    )


def apply_document(outcome: ApplyOutcome, redactor: Redactor) -> ApplyDocument:
    result = outcome.result
    results = list(result.results) if result is not None else []
    done = [r for r in results if r.status is ChangeStatus.DONE]
    plan = outcome.plan
    assert outcome.target is not None  # `apply.run` sets it
    return ApplyDocument(
        format_version=FORMAT_VERSION,
        kind="onepin-sync-apply",
        tool_version=__version__,
        target=outcome.target,
        approved=outcome.approved,
        complete=outcome.approved and (result is None or result.complete),
        interrupted_by=(
            None if outcome.interrupted_by is None else signal.Signals(outcome.interrupted_by).name
        ),
        serial=result.state.serial if result is not None else plan.serial,
        counts=ApplyCounts(
            created=sum(1 for r in done if r.action is Action.CREATE),
            updated=sum(1 for r in done if r.action is Action.UPDATE),
            deleted=sum(1 for r in done if r.action is Action.DELETE),
            failed=sum(1 for r in results if r.status is ChangeStatus.FAILED),
            skipped=sum(1 for r in results if r.status is ChangeStatus.SKIPPED),
            conflict=sum(1 for r in results if r.status is ChangeStatus.CONFLICT),
        ),
        results=[
            ResultDoc(
                key=r.key,
                action=r.action,
                status=r.status,
                detail=None if r.detail is None else redactor.text(r.detail),
                remote_id=r.remote_id,
            )
            for r in results
        ],
        refreshed=len(plan.refreshes) if result is not None else 0,
        verified=_verified(outcome),
        leftover=[c.key for c in outcome.leftover.changes] if outcome.leftover else [],
    )


def _verified(outcome: ApplyOutcome) -> bool | None:
    """Whether a fresh plan after the writes was empty (None: no writes, or not checked)."""
    result = outcome.result
    if result is None or not outcome.plan.has_changes or not result.complete:
        return None
    if outcome.interrupted_by is not None or outcome.unverified is not None:
        return None
    return outcome.leftover is None


def import_document(outcome: ImportOutcome) -> ImportDocument:
    if outcome.adopted_file is not None:
        workflow_id = outcome.adopted_id or ""
        imported = [ImportedDoc(key=outcome.adopted_file, workflow_id=workflow_id, written=None)]
    else:
        imported = [
            ImportedDoc(key=change.key, workflow_id=str(change.remote_id), written=str(path))
            for change, path in zip(outcome.plan.changes, outcome.written, strict=False)
        ]
    return ImportDocument(
        format_version=FORMAT_VERSION,
        kind="onepin-sync-import",
        tool_version=__version__,
        approved=outcome.approved,
        saved_to=None if outcome.saved_to is None else str(outcome.saved_to),
        imported=imported,
    )


def list_document(outcome: ListOutcome, mask: Callable[[str], str]) -> ListDocument:
    return ListDocument(
        format_version=FORMAT_VERSION,
        kind="onepin-sync-list",
        tool_version=__version__,
        unmanaged_only=outcome.unmanaged_only,
        workflows=[
            ListedDoc(
                id=w.id,
                name=mask(w.name),
                updated_at=w.updated_at.isoformat(),
                managed=w.managed_as is not None,
                key=w.managed_as,
                import_key=w.shown_import_key(mask),
            )
            for w in outcome.workflows
        ],
    )


def pull_document(outcome: PullOutcome) -> PullDocument:
    return PullDocument(
        format_version=FORMAT_VERSION,
        kind="onepin-sync-pull",
        tool_version=__version__,
        dry_run=outcome.dry_run,
        written=[str(path) for path in outcome.written],
    )
