"""`apply`: lock -> (saved plan | plan + confirm) -> re-check -> writes -> lockfile -> verify.

The executor (`executor.py`) runs exactly the plan shown; this module decides whether it may run
(approval, delete guard, conflicts, a planned workflow that moved since the plan) and checks a
saved plan against the lockfile, the target and the current files before anything is written.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.remote import read_remote
from onepin_sync.commands.context import (
    ClientOptions,
    Inputs,
    RunEnvironment,
    Ui,
    check_declarations,
    check_selection,
    connect,
    hold_lock,
    read_inputs_online,
    redactor_for,
)
from onepin_sync.commands.executor import execute_plan
from onepin_sync.commands.plan_file import read_plan_file
from onepin_sync.commands.preparation import prepare, state_for
from onepin_sync.commands.target import Target
from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import (
    Comparison,
    IgnoreRules,
    desired_fingerprint,
    listed_hash,
    remote_fingerprint,
)
from onepin_sync.core.guards import (
    ApplyOptions,
    appeared_duplicates,
    check_delete_guard,
    conflicting_changes,
    duplicate_creates,
    refused_results,
    replacing_changes,
    stale_changes,
)
from onepin_sync.core.models import (
    Action,
    Change,
    Plan,
    RemoteState,
    StateFile,
    StateRefresh,
)
from onepin_sync.core.plan_document import PlanTarget, read_plan_document
from onepin_sync.core.planner import PlanOptions, plan_changes, update_body
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ApplyResult, ChangeResult, ChangeStatus
from onepin_sync.core.settled import ListingSettler, desired_file_hash, unsettled_keys
from onepin_sync.core.transitions import (
    as_written_alone,
    changed_meanwhile,
    entry_for,
    with_refreshes,
)
from onepin_sync.errors import ApiError, AuthError, ConflictError, ExitCode, InputError
from onepin_sync.files.project import TargetOptions

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WRITE_SCOPE = "workflows:write"  # what creates, updates and deletes need


@dataclass(frozen=True)
class ApplySettings:
    target: TargetOptions
    plan_file: Path | None = None
    auto_approve: bool = False
    interactive: bool = False  # stdin is a terminal we may ask
    lock_timeout: float = 0.0
    plan: PlanOptions = field(default_factory=PlanOptions)
    apply: ApplyOptions = field(default_factory=ApplyOptions)
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class ApplyOutcome:
    plan: Plan
    result: ApplyResult | None  # None: nothing to do, or not approved
    approved: bool
    leftover: Plan | None = None  # the verification plan, when it was not empty
    interrupted_by: int | None = None  # the signal that stopped the writes early
    unverified: str | None = None  # why the writes could not be read back (they are recorded)
    # Fields of updated workflows that someone else changed while the apply ran, by key.
    meanwhile: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    target: PlanTarget | None = None  # where it applied (set by `run`)

    @property
    def exit_code(self) -> int:
        if not self.approved:
            return ExitCode.ERROR
        if self.result is None or not self.plan.has_changes:
            return ExitCode.OK
        if self.interrupted_by is not None:
            return ExitCode.for_signal(self.interrupted_by)
        return ExitCode.OK if self.result.complete else ExitCode.APPLY_INCOMPLETE


async def run(settings: ApplySettings, env: RunEnvironment, ui: Ui) -> ApplyOutcome:
    if settings.plan_file is None and not settings.auto_approve and not settings.interactive:
        raise InputError(
            "apply needs approval: pass --auto-approve (CI) or run it in a terminal, "
            "or apply a saved plan file"
        )
    lean = settings.plan_file is None  # a saved plan is checked against every file's spec
    inputs = await read_inputs_online(settings.target, env, ui, lean=lean)
    check_selection(inputs, settings.plan.selection)
    check_declarations(inputs)
    with hold_lock(inputs.store, settings.lock_timeout, env, ui):
        async with connect(inputs, settings.client, env, ui) as (target, client):
            outcome = await _apply_locked(settings, inputs, target, client, ui)
    bound = outcome.result.state.workspace if outcome.result is not None else None
    where = PlanTarget(
        api_url=target.api_url,
        workspace=bound or target.workspace,
        lockfile=inputs.store.location,
    )
    return replace(outcome, target=where)


async def _apply_locked(
    settings: ApplySettings, inputs: Inputs, target: Target, client: OnepinClient, ui: Ui
) -> ApplyOutcome:
    """Plan (or load the saved plan), show, check, ask, write and verify, holding the lock."""
    if settings.plan_file is not None:
        saved, _ = _saved_plan(settings.plan_file, inputs, state_for(inputs, target), target)
        if not saved.has_changes and not saved.refreshes:  # nothing to do: no request at all
            ui.show_plan(saved, redactor_for(inputs, target))
            return ApplyOutcome(saved, None, approved=True)
    prepared = await prepare(inputs, target, client, ui, persist=True)
    state, inputs = prepared.state, prepared.inputs
    if settings.plan_file is not None:
        plan, state = _saved_plan(settings.plan_file, inputs, state, target, bound=True)
    else:
        remote = await read_remote(client, state, prepared.listing, settler=prepared.settler)
        inputs = inputs.with_files_read(unsettled_keys(inputs.desired, remote, state))
        plan = plan_changes(inputs.desired, remote, state, settings.plan, prepared.comparison)
    ui.show_plan(plan, redactor_for(inputs, target, state=state, plan=plan))
    if not plan.has_changes and not plan.refreshes:
        return ApplyOutcome(plan, None, approved=True)
    if plan.has_changes and prepared.scopes is not None and WRITE_SCOPE not in prepared.scopes:
        raise AuthError(
            f"the API key lacks the {WRITE_SCOPE} scope that the plan's writes need (it has: "
            f"{', '.join(sorted(prepared.scopes)) or 'none'}); nothing was written. Use a key "
            f"with {WRITE_SCOPE}"
        )
    _check_before_asking(plan, settings, ui)
    asked = plan.has_changes and settings.plan_file is None and not settings.auto_approve
    if asked and not ui.confirm("Apply these changes? Only 'yes' will be accepted"):
        return ApplyOutcome(plan, None, approved=False)
    if plan.has_changes and (asked or settings.plan_file is not None):
        # Time has passed since the plan was made: check it still holds against a listing read
        # after the question (a saved plan's was read just now, under the lock).
        fresh = prepared.listing if not asked and prepared.listing is not None else None
        listing = fresh if fresh is not None else await client.list_workflows()
        listed = {w.id: w for w in listing}
        managed = {e.id for e in state.workflows.values()}
        stale = {
            **stale_changes(plan, listed),
            **appeared_duplicates(plan, listed, managed, settings.apply),
        }
        _refuse(
            plan,
            stale,
            ui,
            "the workspace changed since the plan; nothing was written: "
            + "; ".join(f"{key}: {why}" for key, why in stale.items()),
        )
    result, signal_number = await _execute_journalled(plan, client, state, inputs, settings, ui)
    leftover = None
    if plan.has_changes and signal_number is None:
        settler = ListingSettler(result.state, inputs.desired.applied)
        try:
            remote = await read_remote(client, result.state, settler=settler)
        except ApiError as exc:
            # The writes are done and recorded; the report says what could not be checked.
            return ApplyOutcome(plan, result, True, unverified=str(exc))
        _warn_lingering(result, remote, ui)
        result = _landed_after_all(result, plan, remote, inputs, prepared.comparison, ui)
        result, meanwhile = _read_back(result, plan, remote, inputs)
        if result.complete:
            inputs = inputs.with_files_read(unsettled_keys(inputs.desired, remote, result.state))
            verify = plan_changes(
                inputs.desired, remote, result.state, settings.plan, prepared.comparison
            )
            if settings.plan_file is not None:  # it checks its own changes: files edited since
                ours = {c.key for c in plan.changes}  # the plan are for the next plan
                changes = tuple(c for c in verify.changes if c.key in ours)
                verify = verify.model_copy(update={"changes": changes})
            leftover = verify if verify.has_changes else None
        return ApplyOutcome(
            plan, result, True, leftover, interrupted_by=signal_number, meanwhile=meanwhile
        )
    return ApplyOutcome(plan, result, True, leftover, interrupted_by=signal_number)


def _check_before_asking(plan: Plan, settings: ApplySettings, ui: Ui) -> None:
    """The refusals that need no question: mass deletes, conflicts, and (unattended) creates
    that look like duplicates of unmanaged workflows."""
    check_delete_guard(plan, settings.apply)
    conflicts = conflicting_changes(plan, settings.apply)
    _refuse(
        plan,
        conflicts,
        ui,
        f"changed both in git and outside onepin-sync: {', '.join(conflicts)}; nothing "
        "was written (--force overwrites the remote changes; apply --refresh-only keeps "
        "them, and pull --force then writes them into the files)",
    )
    if settings.auto_approve or settings.plan_file is not None:
        duplicates = duplicate_creates(plan, settings.apply)
        _refuse(
            plan,
            duplicates,
            ui,
            "possible duplicates: "
            + "; ".join(f"{key} ({why})" for key, why in duplicates.items())
            + "; nothing was written. Adopt them with `onepin-sync import ID --key KEY`, or pass "
            "--allow-duplicates to create them anyway",
            because="the plan has possible duplicates",
        )
        replacing = replacing_changes(plan, settings.apply)
        pairs = [f"{c.key} -> {c.replaces}" for c in plan.replacements]
        _refuse(
            plan,
            replacing,
            ui,
            f"the plan deletes and re-creates the same workflow ({', '.join(pairs)}), losing its "
            "id and run history; nothing was written. Add a `moved:` entry to onepin-sync.yaml "
            "for a rename, or pass --allow-replace",
            because="the plan replaces workflows",
        )


def _warn_lingering(result: ApplyResult, remote: RemoteState, ui: Ui) -> None:
    """Warn of each workflow deleted (or found already gone) that the verification listing
    still shows: the lockfile no longer manages it, so no plan would show it again."""
    for done in result.results:
        deleted = done.action is Action.DELETE and done.status is ChangeStatus.DONE
        if deleted and done.remote_id in remote.workflows:
            ui.warn(
                f"{done.key}: the server answered its delete, yet the workspace still lists "
                f"{done.remote_id}; it is no longer managed (delete it in the Onepin app, or "
                f"`onepin-sync import {done.remote_id}`)"
            )


def _landed_after_all(
    result: ApplyResult,
    plan: Plan,
    remote: RemoteState,
    inputs: Inputs,
    comparison: Comparison,
    ui: Ui,
) -> ApplyResult:
    """`result` with each failed update or delete that the verification listing shows done
    counted done and recorded: the server committed it and the answer was an error or was lost
    (a gateway's 502, a reset). Left failed, the next plan would see the workspace changed by
    someone else, and an edit of its file since would be a conflict."""
    state = result.state
    changes = {c.key: c for c in plan.changes}
    secrets = Redactor(inputs.desired.secret_values)
    refreshes, results = [], []
    for done in result.results:
        change = changes[done.key]
        if done.status is not ChangeStatus.FAILED or not _landed(change, remote, comparison):
            results.append(done)
            continue
        ui.warn(f"{done.key}: its {change.action.value} failed, yet the workspace shows it done")
        detail = f"{done.detail}; yet the workspace shows it done"
        results.append(done.model_copy(update={"status": ChangeStatus.DONE, "detail": detail}))
        entry = None  # a delete: forget it
        if change.action is Action.UPDATE:
            assert change.remote_id is not None
            assert change.applied_hash is not None
            wanted = inputs.desired.workflows.get(change.key)
            entry = entry_for(
                remote.workflows[change.remote_id],
                change.applied_hash,
                state.salt,
                change.prevent_destroy,
                secret_paths=wanted.secret_paths if wanted is not None else (),
                secrets=secrets,
                destroy=change.destroy,
                ignore=IgnoreRules.of(change.ignore_changes),
                file_hash=change.file_hash,
                variables=change.variables,
                listed_hash=listed_hash(remote.listed.get(change.remote_id), state.salt),
            )
        refreshes.append(StateRefresh(key=change.key, entry=entry))
    if not refreshes:
        return result
    landed = with_refreshes(state, refreshes)
    inputs.store.write(landed)
    return result.model_copy(update={"results": tuple(results), "state": landed})


def _landed(change: Change, remote: RemoteState, comparison: Comparison) -> bool:
    """Whether the workspace holds what `change` was to make it hold."""
    if change.action is Action.DELETE:
        return change.remote_id in remote.confirmed_missing
    listed = remote.workflows.get(change.remote_id or "")
    if change.action is not Action.UPDATE or change.after is None or listed is None:
        return False
    compared = replace(comparison, ignore=IgnoreRules.of(change.ignore_changes))
    return not differences(listed.spec, change.after, compared).changes


def _read_back(
    result: ApplyResult, plan: Plan, remote: RemoteState, inputs: Inputs
) -> tuple[ApplyResult, dict[str, tuple[str, ...]]]:
    """`result` with each written workflow's lockfile entry taken from the verification listing,
    and the fields of updated workflows that someone else changed while the apply ran, by key.

    `plan` compares against listings, so `remote_hash` must come from the same kind of read: a
    server whose write responses differ from its reads would otherwise drift forever. A field an
    update did not send that the listing shows changed since the plan's read is not taken as
    what the write made: the entry records it as the plan read it, at the plan's `updated_at`, so
    the next plan shows the change as made outside onepin-sync instead of silently keeping it as
    applied.
    """
    state = result.state
    secrets = Redactor(inputs.desired.secret_values)
    written = {r.key for r in result.results if r.status is ChangeStatus.DONE}
    changes = {c.key: c for c in plan.changes}
    meanwhile: dict[str, tuple[str, ...]] = {}
    refreshes = []
    for key in sorted(written & state.workflows.keys()):
        entry = state.workflows[key]
        listed = remote.workflows.get(entry.id)
        if listed is not None:
            rules = IgnoreRules.of(entry.ignore_changes)
            remote_hash = None
            change = changes.get(key)
            fields = changed_meanwhile(change, listed.spec) if change is not None else ()
            if change is not None and fields:
                alone = as_written_alone(listed.spec, change, fields)
                remote_hash = remote_fingerprint(alone, state.salt, rules)
                if remote_hash != remote_fingerprint(listed.spec, state.salt, rules):
                    meanwhile[key] = fields  # not a change its ignore rules keep
            read = entry_for(
                listed,
                entry.applied_hash,
                state.salt,
                entry.prevent_destroy,
                secret_paths=entry.secret_paths,
                secrets=secrets,
                destroy=entry.destroy,
                ignore=rules,
                remote_hash=remote_hash,
                file_hash=entry.file_hash,
                variables=entry.variables,
                listed_hash=None
                if key in meanwhile
                else listed_hash(remote.listed.get(entry.id), state.salt),
            )
            if key in meanwhile and change is not None and change.remote_updated_at is not None:
                # Recorded as of the plan's read: the workspace has been written since.
                read = read.model_copy(update={"remote_updated_at": change.remote_updated_at})
            if read != entry:
                refreshes.append(StateRefresh(key=key, entry=read))
    if not refreshes:
        return result, meanwhile
    # The same run completing the same writes: the serial it already moved stays.
    read_state = with_refreshes(state, refreshes).model_copy(update={"serial": state.serial})
    inputs.store.write(read_state)
    return result.model_copy(update={"state": read_state}), meanwhile


def _refuse(
    plan: Plan,
    refused: Mapping[str, str],
    ui: Ui,
    message: str,
    because: str = "the plan has conflicts",
) -> None:
    """Stop before any write when a change is refused, reporting every planned change."""
    if not refused:
        return
    for result in refused_results(plan, refused, because):
        ui.progress(result)
    raise ConflictError(message)


async def _execute_journalled(
    plan: Plan,
    client: OnepinClient,
    state: StateFile,
    inputs: Inputs,
    settings: ApplySettings,
    ui: Ui,
) -> tuple[ApplyResult, int | None]:
    """Run the writes with the journal open; the first SIGINT/SIGTERM stops new writes, a second
    cancels those in flight. The lockfile records the outcome, pending creates included, however
    the run ends; the journal is kept only for writes whose fate the lockfile cannot carry."""
    store = inputs.store
    if not store.exists():
        # The journal names the lockfile's lineage and its hashes use the lockfile's salt: a
        # first apply persists both before its first write, or after a crash the next run would
        # start a new lineage, unable to settle the journal (and create everything again).
        store.write(state)
    received: list[int] = []
    stop_now = asyncio.Event()

    def on_signal(signum: int) -> None:
        received.append(signum)
        client.stop_starting()  # the writes waiting for their turn (--rps, a 429) are skipped
        if len(received) > 1:
            stop_now.set()

    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    journal = store.open_journal()
    try:
        with ui.bar("Applying", len(plan.changes)) as bar:

            def on_result(result: ChangeResult) -> None:
                ui.progress(result)
                bar.advance()

            started, sent = time.monotonic(), client.requests_sent
            result = await execute_plan(
                plan,
                client,
                state,
                journal,
                settings.apply,
                secrets=redactor_for(inputs),
                secret_paths={k: w.secret_paths for k, w in inputs.desired.workflows.items()},
                on_result=on_result,
                interrupted=lambda: bool(received),
                stop_now=stop_now,
            )
        ui.detail(
            f"Wrote {len(plan.changes)} change(s) in {time.monotonic() - started:.1f}s "
            f"({client.requests_sent - sent} requests)"
        )
        if result.state is not state:
            store.write(result.state)
    finally:
        journal.close()
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    if not result.unresolved:
        store.remove_journal()  # else kept: the next run settles those writes from it
    # Like a shell's exit status: the last signal is the one the run ended by.
    return result, (received[-1] if received else None)


def _saved_plan(
    path: Path, inputs: Inputs, state: StateFile, target: Target, *, bound: bool = False
) -> tuple[Plan, StateFile]:
    """A saved plan, checked against the lockfile, the target and the current files, and the
    state to apply it to (a plan made before the first apply starts the lockfile it planned).

    `bound`: `state` is bound to the API key's workspace (`prepare`), which must be the plan's;
    a first apply has no lockfile to name a workspace, so only this check catches another key.
    """
    plan, doc = read_plan_document(read_plan_file(path), str(path))
    if doc.target.api_url != target.api_url:
        raise InputError(f"{path} was made for {doc.target.api_url}, not {target.api_url}")
    planned_in, key_of = doc.target.workspace, state.workspace
    if bound and planned_in is not None and key_of is not None and planned_in != key_of:
        raise InputError(
            f"{path} was made for workspace {planned_in}, but the API key is for workspace "
            f"{key_of}; nothing was written"
        )
    salt = doc.lockfile.salt
    if salt is not None and not inputs.store.exists() and plan.serial == state.serial:
        state = state.model_copy(update={"lineage": plan.lineage, "salt": salt})
    if plan.lineage != state.lineage:
        raise ConflictError(
            f"{path} is stale: it was made for another lockfile (lineage {plan.lineage}, the "
            f"lockfile has {state.lineage}); run plan again"
        )
    if plan.serial != state.serial:
        raise ConflictError(
            f"{path} is stale: the lockfile moved on since it was made (serial {plan.serial} -> "
            f"{state.serial}); run plan again"
        )
    changes = []
    for change in plan.changes:
        if change.after is None:
            _check_saved_delete(path, change, inputs, state)
            changes.append(change)
            continue
        wanted = inputs.desired.workflows.get(change.key)
        rules = IgnoreRules.of(wanted.ignore_changes if wanted is not None else ())
        if wanted is None or desired_fingerprint(wanted.spec, state.salt, rules) != (
            change.applied_hash
        ):
            raise ConflictError(
                f"{path} is stale: {change.key} changed in the workflow files since the plan was "
                "made; run plan again"
            )
        after = wanted.spec
        if change.before is not None:  # the workspace's values where ignored or server-added
            after = update_body(after, change.before, rules, change.server_added)
        lifecycle = {
            "destroy": wanted.lifecycle.destroy,
            "ignore_changes": rules.paths,
            "file_hash": desired_file_hash(wanted, state.salt),
            "variables": wanted.variables,
        }
        changes.append(change.model_copy(update={"after": after, **lifecycle}))
    return plan.model_copy(update={"changes": tuple(changes)}), state


def _check_saved_delete(path: Path, change: Change, inputs: Inputs, state: StateFile) -> None:
    """A saved delete still holds: its file is still gone and nothing protects the workflow."""
    if change.key in inputs.desired.workflows:
        raise ConflictError(
            f"{path} is stale: it deletes {change.key}, whose workflow file is back; run plan again"
        )
    entry = state.workflows.get(change.key)
    if entry is not None and entry.prevent_destroy:
        raise InputError(
            f"{change.key}: the saved plan deletes it but the lockfile records "
            "lifecycle.prevent_destroy; restore the file with prevent_destroy: false and apply "
            "before removing it"
        )
