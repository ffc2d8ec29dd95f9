"""The `state` commands' output: human lines, or with `--json` one versioned document on stdout
(`core/state_documents.py`: kinds `onepin-sync-state-list` and `onepin-sync-state-entry`).

A lockfile holds no secret (hashes are salted, names masked when recorded), so nothing here
needs masking beyond what the console does for every line.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from onepin_sync import __version__
from onepin_sync.commands.state import StateEditOutcome, StateReadOutcome
from onepin_sync.commands.state_migrate import MigrateOutcome
from onepin_sync.commands.state_rebuild import RebuildOutcome
from onepin_sync.core.documents import FORMAT_VERSION
from onepin_sync.core.state_documents import (
    RebuiltKeyDoc,
    StateEntryDocument,
    StateForgetDocument,
    StateListDocument,
    StateMigrateDocument,
    StateMoveDocument,
    StatePendingDoc,
    StateRebuildDocument,
    StateWorkflowDoc,
)
from onepin_sync.views.console import ConsoleUi
from onepin_sync.views.documents import print_document


def state_list(ui: ConsoleUi, outcome: StateReadOutcome, *, as_json: bool) -> None:
    state = outcome.state
    workflows = dict(state.workflows) if state else {}
    pending = dict(state.pending) if state else {}
    if as_json:
        document = StateListDocument(
            format_version=FORMAT_VERSION,
            kind="onepin-sync-state-list",
            tool_version=__version__,
            lockfile=outcome.location,
            lineage=state.lineage if state else None,
            serial=state.serial if state else None,
            api_url=state.api_url if state else None,
            workspace=state.workspace if state else None,
            workflows=[
                StateWorkflowDoc(key=k, id=e.id, name=e.name, prevent_destroy=e.prevent_destroy)
                for k, e in sorted(workflows.items())
            ],
            pending=[
                StatePendingDoc(key=k, name=p.name, sent_at=p.sent_at)
                for k, p in sorted(pending.items())
            ],
        )
        print_document(ui, document)
        return
    width = max((len(k) for k in [*workflows, *pending]), default=0)
    for key, entry in sorted(workflows.items()):
        ui.out.print(Text(f"{key.ljust(width)}  {entry.id}  {entry.name}"))
    for key, create in sorted(pending.items()):
        when = create.sent_at.isoformat()
        ui.out.print(Text(f"{key.ljust(width)}  (create sent {when}, unanswered)  {create.name}"))


def state_show(ui: ConsoleUi, outcome: StateReadOutcome, *, as_json: bool) -> None:
    assert outcome.state is not None  # run_read refused a key it does not hold
    assert outcome.key is not None
    entry = outcome.state.workflows.get(outcome.key)
    create = outcome.state.pending.get(outcome.key)
    if as_json:
        document = StateEntryDocument(
            format_version=FORMAT_VERSION,
            kind="onepin-sync-state-entry",
            tool_version=__version__,
            lockfile=outcome.location,
            key=outcome.key,
            workflow=entry,
            pending=create,
        )
        print_document(ui, document)
        return
    recorded = entry if entry is not None else create
    fields: dict[str, Any] = recorded.model_dump(mode="json") if recorded is not None else {}
    rows = {"key": outcome.key, **fields}
    if create is not None:
        rows["status"] = "create sent, never answered (the next plan or apply settles it)"
    if "secret_paths" in rows:
        rows["secret_paths"] = ", ".join(".".join(p) for p in rows["secret_paths"]) or "none"
    width = max(len(name) for name in rows)
    for name, value in rows.items():
        ui.out.print(Text(f"{name + ':':<{width + 1}} {value}"))


def state_edit_report(ui: ConsoleUi, outcome: StateEditOutcome, *, as_json: bool) -> None:
    """The closing lines of `state mv` and `state rm` (on stderr under --json, after which the
    document is the one thing on stdout)."""
    if outcome.new_key is not None:
        ui.info(
            f"Moved {outcome.key} to {outcome.new_key} (workflow {outcome.workflow_id}) in "
            f"{outcome.location}, serial {outcome.serial}; nothing was written to Onepin."
        )
        if as_json:
            print_document(ui, _move_document(outcome, outcome.new_key))
        return
    ui.info(
        f"Forgot {outcome.key} (workflow {outcome.workflow_id}) in {outcome.location}, serial "
        f"{outcome.serial}; the workflow stays in Onepin, unmanaged."
    )
    if outcome.file_left is not None:
        ui.warn(
            f"{outcome.file_left} still exists: the next plan would create a second workflow "
            "from it; delete or move the file (or adopt the workflow again with import)"
        )
    if outcome.secret_places:
        ui.warn(
            f"the workflow holds secret values at {outcome.secret_places} place(s) where the "
            "files put ${secret.…} values, no longer masked now that it is unmanaged: `import` "
            "would write them into a file; replace them in the app first, or keep the file "
            "and adopt the workflow with `import ID --key KEY`"
        )
    if as_json:
        print_document(
            ui,
            StateForgetDocument(
                **_head("onepin-sync-state-rm"),
                lockfile=outcome.location,
                key=outcome.key,
                workflow_id=outcome.workflow_id,
                serial=outcome.serial,
                file_left=outcome.file_left,
            ),
        )


def _move_document(outcome: StateEditOutcome, to: str) -> StateMoveDocument:
    return StateMoveDocument(
        **_head("onepin-sync-state-mv"),
        lockfile=outcome.location,
        key=outcome.key,
        to=to,
        workflow_id=outcome.workflow_id,
        serial=outcome.serial,
    )


def rebuild_report(ui: ConsoleUi, outcome: RebuildOutcome, *, as_json: bool) -> None:
    rebuilt = outcome.rebuild
    for key, workflow_id in sorted(rebuilt.matched.items()):
        note = " (the file differs: the next plan updates it)" if key in rebuilt.differing else ""
        ui.info(f"{key}: matched workflow {workflow_id}{note}")
    for key in rebuilt.unmatched:
        ui.warn(f"{key}: no workflow in the workspace matches it; the next plan creates it")
    if outcome.written:
        ui.info(
            f"Rebuilt {outcome.location}: {len(rebuilt.matched)} matched, {outcome.kept} kept, "
            f"serial {rebuilt.state.serial}. Run plan to check it."
        )
    else:
        ui.info("Nothing to rebuild: no workflow file matched an unmanaged workflow.")
    if as_json:
        matched = [
            RebuiltKeyDoc(key=k, workflow_id=wid, differs=k in rebuilt.differing)
            for k, wid in sorted(rebuilt.matched.items())
        ]
        print_document(
            ui,
            StateRebuildDocument(
                **_head("onepin-sync-state-rebuild"),
                lockfile=outcome.location,
                written=outcome.written,
                serial=rebuilt.state.serial,
                kept=outcome.kept,
                matched=matched,
                unmatched=list(rebuilt.unmatched),
            ),
        )


def migrate_report(ui: ConsoleUi, outcome: MigrateOutcome, *, as_json: bool) -> None:
    ui.info(
        f"Moved the state (lineage {outcome.lineage}, serial {outcome.serial}) from "
        f"{outcome.source} to {outcome.destination}."
    )
    setting = (
        f"`state: {{url: {outcome.destination}}}`"
        if outcome.to_url
        else f"`lockfile: {outcome.destination}` (and no `state: url`)"
    )
    ui.warn(
        f"now set {setting} in onepin-sync.yaml (for the environment you migrated), or "
        "every run looks for the state where it no longer is"
    )
    if as_json:
        print_document(
            ui,
            StateMigrateDocument(
                **_head("onepin-sync-state-migrate"),
                source=outcome.source,
                destination=outcome.destination,
                lineage=outcome.lineage,
                serial=outcome.serial,
            ),
        )


def _head(kind: str) -> dict[str, Any]:
    """What every document starts with."""
    return {"format_version": FORMAT_VERSION, "kind": kind, "tool_version": __version__}
