"""A plan holds only what changed: unchanged files and their listed workflows are kept without
their specs (`core/settled.py`), over real HTTP, with the same plans and the same requests."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime
from pathlib import Path

from onepin import OnePinClient

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.remote import read_remote
from onepin_sync.api.session import SessionOptions
from onepin_sync.commands.context import Inputs, RunEnvironment, read_inputs
from onepin_sync.commands.preparation import Prepared, prepare
from onepin_sync.core.fingerprint import listed_fingerprint
from onepin_sync.core.models import Action, RemoteState
from onepin_sync.core.settled import ListingSettler
from onepin_sync.files.project import TargetOptions
from onepin_sync.state.journal import JournalBegin, JournalIntent
from onepin_sync.state.lockfile import read_lockfile
from onepin_sync.views.console import ConsoleUi
from tests.e2e.support import RUN_START, WORKFLOWS, calls, recorded, seed, writes
from tests.sync_project import SyncProject


def _lean_inputs(project: SyncProject) -> Inputs:
    """What a lean run (plan, apply) reads of the project, before any request."""
    options = TargetOptions(
        workflows=project.workflows,
        lockfile=project.lockfile,
        base_url=project.workspace.base_url,
        api_key=project.workspace.api_key,
    )
    env = RunEnvironment(cwd=project.root, home=Path.home(), environ={})
    return read_inputs(options, env, ConsoleUi(no_color=True), lean=True)


def _session(project: SyncProject) -> SessionOptions:
    return SessionOptions(base_url=project.workspace.base_url, api_key=project.workspace.api_key)


def _ids(project: SyncProject) -> dict[str, str]:
    return {key: entry["id"] for key, entry in project.lock_entries().items()}


def test_unchanged_workflows_are_held_without_their_specs_and_changed_ones_in_full(
    project: SyncProject, sdk: OnePinClient
) -> None:
    keys = seed(project, 120)
    edited, drifted = keys[0], keys[1]
    project.write(edited, {**project.read(edited), "description": "edited in git"})
    sdk.workflows.patch_workflow(_ids(project)[drifted], description="edited in the app")

    inputs = _lean_inputs(project)
    state = read_lockfile(project.lockfile)
    assert state is not None
    settler = ListingSettler(state, inputs.desired.applied)

    async def listed() -> RemoteState:
        async with OnepinClient(_session(project)) as client:
            return await read_remote(client, state, settler=settler)

    remote = asyncio.run(listed())

    assert set(inputs.desired.workflows) == {edited}
    assert set(inputs.desired.applied) == set(keys) - {edited}
    ids = _ids(project)
    assert remote.settled == {ids[k] for k in keys} - {ids[edited], ids[drifted]}
    held = {wid for wid, w in remote.workflows.items() if w.definition}
    assert held == {ids[edited], ids[drifted]}


def test_an_apply_records_each_file_and_spelling_and_the_next_run_settles_by_them(
    project: SyncProject,
) -> None:
    """What the next run needs to keep a workflow without parsing its file or taking the
    canonical form of its listed definition: the file's hash and the listing's spelling."""
    keys = seed(project, 30)
    state = read_lockfile(project.lockfile)
    assert state is not None
    settler = ListingSettler(state, _lean_inputs(project).desired.applied)

    async def listed() -> RemoteState:
        async with OnepinClient(_session(project)) as client:
            return await read_remote(client, state, settler=settler)

    remote = asyncio.run(listed())

    entries = [state.workflows[key] for key in keys]
    assert all(e.file_hash and e.listed_hash for e in entries)
    assert remote.settled == {e.id for e in entries}
    spelled = {e.id: listed_fingerprint(remote.listed[e.id], state.salt) for e in entries}
    assert spelled == {e.id: e.listed_hash for e in entries}  # as served now, byte for byte


def test_a_plan_among_unchanged_workflows_finds_each_change_in_the_no_change_budget(
    project: SyncProject, sdk: OnePinClient
) -> None:
    keys = seed(project, 120)  # two listing pages
    edited, drifted = keys[0], keys[1]
    project.write(edited, {**project.read(edited), "description": "edited in git"})
    sdk.workflows.patch_workflow(_ids(project)[drifted], description="edited in the app")

    with recorded(project.workspace) as sent:
        planned = project.run("plan", "--detailed-exitcode")
    with recorded(project.workspace) as applied_sent:
        applied = project.run("apply", "--auto-approve")

    assert planned.code == 2, planned.output
    assert f"  # {edited} will be updated in place (changed in git)" in planned.stdout
    assert f"  # {drifted} will be updated in place (changed outside onepin-sync)" in planned.stdout
    # the drifted file was read again for the diff
    assert (
        'description: "edited in the app" -> "Bulk 0001 (generated for a test)"' in planned.stdout
    )
    assert "Plan: 0 to create, 2 to update, 0 to delete." in planned.stdout
    assert sorted(calls(sent)) == sorted(RUN_START + [("GET", WORKFLOWS)] * 2)
    assert applied.code == 0, applied.output
    assert sorted(r.method for r in writes(applied_sent)) == ["PATCH", "PATCH"]
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_an_apply_interrupted_after_the_files_were_read_is_settled_with_every_file_in_full(
    project: SyncProject,
) -> None:
    """The files were read with nothing to settle; by the time the run reads the journal, an
    apply has been interrupted: settling gets every spec and every listed definition."""
    keys = seed(project, 3)
    inputs = _lean_inputs(project)
    assert set(inputs.desired.applied) == set(keys)
    state = read_lockfile(project.lockfile)
    assert state is not None
    entry = state.workflows[keys[0]]
    journal = inputs.store.open_journal()  # another apply, cut off before its PATCH was sent
    journal.append(JournalBegin(lineage=state.lineage, serial=state.serial))
    journal.append(
        JournalIntent(
            op=1,
            key=keys[0],
            action=Action.UPDATE,
            remote_id=entry.id,
            applied_hash="sha256:" + "0" * 64,
            started_at=datetime.now(UTC),
        )
    )
    journal.close()
    target = inputs.target
    assert target is not None

    async def prepared() -> Prepared:
        async with OnepinClient(_session(project)) as client:
            ui = ConsoleUi(no_color=True)
            return await prepare(inputs, target, client, ui, persist=False)

    ready = asyncio.run(prepared())

    assert set(ready.inputs.desired.workflows) == set(keys)
    assert not ready.inputs.desired.applied
    assert ready.settler is None
    assert ready.listing is not None
    assert all(w.definition for w in ready.listing)


def test_a_run_freezes_its_inputs_once_read_and_leaves_nothing_frozen(
    project: SyncProject,
) -> None:
    """The files and the lockfile live until the run ends: the CLI moves them out of the
    collector's sight once read (`RunEnvironment.inputs_read`, `gc.freeze`), and thaws them when
    the command ends, so a process running many commands (these tests) collects as before."""
    seed(project, 3)
    frozen: list[int] = []
    options = TargetOptions(
        workflows=project.workflows,
        lockfile=project.lockfile,
        base_url=project.workspace.base_url,
        api_key=project.workspace.api_key,
    )
    env = RunEnvironment(
        cwd=project.root,
        home=Path.home(),
        environ={},
        inputs_read=lambda: frozen.append(gc.get_freeze_count()),
    )

    inputs = read_inputs(options, env, ConsoleUi(no_color=True), lean=True)

    assert frozen == [0]  # called once, after every file (and the lockfile) was read
    assert len(inputs.desired.keys) == 3
    result = project.run("plan")
    assert result.code == 0, result.output
    assert gc.get_freeze_count() == 0
