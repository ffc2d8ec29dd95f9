"""The closing lines of each command, printed from its outcome. Reports print and return nothing:
the exit code is the outcome's own (`outcome.exit_code`)."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from rich.text import Text

from onepin_sync.core.models import Action
from onepin_sync.core.results import CANCELLED_IN_FLIGHT, ChangeStatus

if TYPE_CHECKING:  # a command imports its own module only: `fmt` alone loads ruamel.yaml
    from onepin_sync.commands.apply import ApplyOutcome
    from onepin_sync.commands.fmt import FmtOutcome
    from onepin_sync.commands.force_unlock import ForceUnlockOutcome
    from onepin_sync.commands.importing import ImportOutcome
    from onepin_sync.commands.listing import ListOutcome
    from onepin_sync.commands.pull import PullOutcome
    from onepin_sync.commands.validate import ValidateOutcome, Variable
    from onepin_sync.views.console import ConsoleUi


def validate_report(ui: ConsoleUi, outcome: ValidateOutcome) -> None:
    """The server's findings, masked: its messages and node ids may quote the files' secrets."""
    noun = "file" if outcome.workflows == 1 else "files"
    mask = outcome.redactor.text
    for key, report in sorted(outcome.reports.items()):
        for issue in report.errors:
            where = f" node {issue.node_id}" if issue.node_id else ""
            ui.error(mask(f"{key}:{where} {issue.rule}: {issue.message}"))
        for issue in report.warnings:
            where = f" node {issue.node_id}" if issue.node_id else ""
            ui.warn(mask(f"{key}:{where} {issue.rule}: {issue.message}"))
        for blocked in report.blocked:
            ui.warn(mask(f"{key}: blocked {blocked.code}: {blocked.message}"))
    if outcome.valid:
        checked = " (checked online)" if outcome.reports else ""
        ui.summary(f"Success: {outcome.workflows} workflow {noun} valid{checked}.")
    else:
        invalid = sum(1 for r in outcome.reports.values() if not r.valid)
        ui.err.print(
            Text(
                f"Error: {invalid} of {outcome.workflows} workflows are invalid.", style="bold red"
            )
        )
    if outcome.variables:
        ui.info(f"Variables a plan will need: {_variables(outcome.variables)}.")


def _variables(variables: tuple[Variable, ...]) -> str:
    """`NAME (secret, not set here)` per variable: names only, never a value."""
    shown = []
    for variable in variables:
        notes = ["secret"] if variable.secret else []
        if not variable.is_set:
            notes.append("not set here")
        shown.append(f"{variable.name} ({', '.join(notes)})" if notes else variable.name)
    return ", ".join(shown)


def apply_report(ui: ConsoleUi, outcome: ApplyOutcome) -> None:
    """The closing lines of apply."""
    if not outcome.approved:
        ui.err.print(Text("Apply cancelled: nothing was changed.", style="bold"))
        return
    result = outcome.result
    if result is None:
        return
    if not outcome.plan.has_changes:
        ui.summary("Lockfile refreshed; no API writes were needed.")
        return
    counts = dict.fromkeys(Action, 0)
    for r in result.results:
        if r.status is ChangeStatus.DONE:
            counts[r.action] += 1
    done = (
        f"{counts[Action.CREATE]} created, {counts[Action.UPDATE]} updated, "
        f"{counts[Action.DELETE]} deleted"
    )
    if outcome.interrupted_by is not None:
        name = signal.Signals(outcome.interrupted_by).name
        cut = any(r.detail == CANCELLED_IN_FLIGHT for r in result.results)
        in_flight = (
            "writes in flight were cancelled (the next run settles them)"
            if cut
            else "writes in flight finished"
        )
        ui.err.print(
            Text(
                f"\nInterrupted by {name}: {done}; {in_flight}, the rest were skipped. The "
                "lockfile records what was done; run apply again to finish.",
                style="bold red",
            )
        )
        return
    if not result.complete:
        not_done = ", ".join(
            f"{result.count(s)} {s.value}"
            for s in ChangeStatus
            if s is not ChangeStatus.DONE and result.count(s)
        )
        ui.err.print(Text(f"\nApply incomplete: {done}; {not_done}.", style="bold red"))
        return
    gap = "" if ui.quiet else "\n"  # under the plan, not under --quiet's summary line
    ui.summary(f"{gap}Apply complete: {done}.", style="bold green")
    if outcome.unverified is not None:
        ui.warn(
            f"not verified: reading the workspace back failed ({outcome.unverified}); the writes "
            "are done and recorded in the lockfile. Run plan to check them"
        )
    elif outcome.leftover is not None:
        for key, fields in sorted(outcome.meanwhile.items()):
            ui.warn(
                f"{key}: {', '.join(fields)} changed in the workspace while this apply ran (not "
                "by onepin-sync); kept there, and the next plan shows it as a change made outside "
                "onepin-sync"
            )
        rewritten = [c.key for c in outcome.leftover.changes if c.key not in outcome.meanwhile]
        if rewritten:
            ui.warn(
                f"verification: a fresh plan still shows {len(rewritten)} change(s) after apply; "
                "the server rewrote something onepin-sync does not normalise (please report "
                "it): " + ", ".join(rewritten)
            )
    else:
        ui.info("Verified: a fresh plan shows no changes.")


def import_report(ui: ConsoleUi, outcome: ImportOutcome) -> None:
    if not outcome.approved:
        ui.err.print(Text("Import cancelled: nothing was written.", style="bold"))
        return
    if outcome.saved_to is not None:
        ui.info(
            f"\nSaved the import plan to {outcome.saved_to}. Carry out exactly it with: "
            f"onepin-sync apply {outcome.saved_to}"
        )
        return
    if outcome.adopted_file is not None:
        ui.info(
            f"Imported as {outcome.adopted_file}, adopting the existing file; run plan to see "
            "how the remote workflow differs from it."
        )
        return
    for change, path in zip(outcome.plan.changes, outcome.written, strict=True):
        ui.info(f"Imported {change.remote_id} as {change.key}: wrote {path}.")
    if outcome.written:
        ui.summary(
            f"Import complete: {len(outcome.written)} workflow(s). Commit the files together "
            "with the lockfile."
        )
    else:
        ui.summary("Nothing to import: no unmanaged workflow matches.")


def pull_report(ui: ConsoleUi, outcome: PullOutcome) -> None:
    if outcome.dry_run:
        for diff in outcome.diffs:
            ui.out.out(ui.redactor.text(diff), end="", highlight=False)
        if outcome.written:
            ui.info(f"Would rewrite {len(outcome.written)} file(s); nothing was written (dry run).")
        else:
            ui.info("Nothing to pull: no workflow changed outside onepin-sync.")
        return
    for path in outcome.written:
        ui.info(f"Rewrote {path} from the workspace.")
    if outcome.written:
        ui.summary(f"Pulled {len(outcome.written)} workflow(s); review with `git diff` and commit.")
    else:
        ui.summary("Nothing to pull: no workflow changed outside onepin-sync.")


def force_unlock_report(ui: ConsoleUi, outcome: ForceUnlockOutcome) -> None:
    ui.summary(f"Released the state lock {outcome.lock_id}.")


def list_report(ui: ConsoleUi, outcome: ListOutcome) -> None:
    """One line per listed workflow (`--json`: `documents.list_document` instead)."""
    mask = ui.redactor.text
    if not outcome.workflows:
        what = "unmanaged workflows" if outcome.unmanaged_only else "workflows"
        ui.info(f"No {what} in the workspace.")
        return
    rows = [("ID", "UPDATED", "STATUS", "KEY", "NAME")]
    for w in outcome.workflows:
        status = "managed" if w.managed_as is not None else "unmanaged"
        key = w.managed_as or f"{w.shown_import_key(mask)} (on import)"
        updated = w.updated_at.strftime("%Y-%m-%d %H:%M:%S")
        rows.append((w.id, updated, status, key, mask(w.name)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:  # one line per workflow, never wrapped: names last
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        ui.out.out("  ".join([*cells, row[4]]), highlight=False)
    unmanaged = sum(1 for w in outcome.workflows if w.managed_as is None)
    if unmanaged:
        ui.summary(
            f"{unmanaged} unmanaged: adopt them with `onepin-sync import --all` or import ID."
        )


def fmt_report(ui: ConsoleUi, outcome: FmtOutcome) -> None:
    if outcome.check:
        for shown in outcome.changed:
            ui.out.out(shown, highlight=False)
        if outcome.changed:
            ui.err.print(
                Text(
                    f"{len(outcome.changed)} of {outcome.checked} workflow file(s) would be "
                    "reformatted; run `onepin-sync fmt`.",
                    style="bold red",
                )
            )
        else:
            ui.summary(f"All {outcome.checked} workflow file(s) are formatted.")
        return
    for shown in outcome.changed:
        ui.info(f"Formatted {shown}")
    ui.summary(f"{len(outcome.changed)} of {outcome.checked} workflow file(s) reformatted.")
