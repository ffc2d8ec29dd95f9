"""`import`: adopt unmanaged workflows into workflow files and the lockfile. Writes nothing to the
API.

- `import ID [ID…]` adopts the named workflows at once (the user named them): each is written to
  a new file at the key its name gives (`core/adoption.py`), or `--key KEY` with one ID. With a
  file already at `--key`, the lockfile records the id with no applied fingerprint, so the next
  plan shows (and apply makes) exactly the changes from the remote workflow to the file.
- `import --all [--search TEXT] [--name-glob GLOB] [--dir-template T]` plans one `import` action
  per matching unmanaged workflow, shows the plan like any other, and asks for `yes`
  (`--auto-approve` for scripts); `--out FILE` saves the plan instead, and `apply FILE` carries
  it out (`apply_saved`), refusing it when a workflow changed since.

Either way every file is written in the canonical layout, and only after every one of them was
loaded back in memory as exactly the workflow the workspace holds; then the lockfile records
them all as applied in one write, so the next plan is empty.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from onepin_sync import __version__
from onepin_sync.api.client import SEARCH_MAX, OnepinClient
from onepin_sync.commands.context import (
    ClientOptions,
    Inputs,
    RunEnvironment,
    Ui,
    check_out_file,
    connect,
    hold_lock,
    read_inputs_online,
    redactor_for,
)
from onepin_sync.commands.plan_file import read_plan_file
from onepin_sync.commands.preparation import prepare
from onepin_sync.commands.target import Target
from onepin_sync.core.adoption import (
    DEFAULT_TEMPLATE,
    candidate_key,
    check_template,
    matching,
    plan_imports,
    stale_imports,
    unmanaged,
)
from onepin_sync.core.catalog import Catalogue
from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint, listed_hash
from onepin_sync.core.keys import NEVER_APPLIED, key_problem, quoted
from onepin_sync.core.models import DesiredWorkflow, Plan, RemoteWorkflow, StateFile, StateRefresh
from onepin_sync.core.plan_document import KIND, PlanTarget, plan_document, read_plan_document
from onepin_sync.core.redact import Redactor
from onepin_sync.core.selection import EVERY_KEY, KeySelection
from onepin_sync.core.settled import ListingSettler, desired_file_hash
from onepin_sync.core.transitions import entry_for, with_refreshes
from onepin_sync.errors import (
    ConflictError,
    ExitCode,
    InputError,
    OnepinSyncError,
    WorkflowFileError,
)
from onepin_sync.files.discovery import WorkflowFileRef
from onepin_sync.files.loader import load_workflow_text
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.scaffold import SCHEMA_FILE, schema_comment
from onepin_sync.files.writer import check_output_file, write_new, write_output_file


@dataclass(frozen=True)
class ImportSettings:
    target: TargetOptions
    workflow_ids: tuple[str, ...] = ()
    key: str | None = None  # with one id; default: derived from the workflow's name
    all: bool = False
    search: str | None = None  # the listing's server-side search (name or description)
    name_glob: str | None = None
    dir_template: str = DEFAULT_TEMPLATE
    auto_approve: bool = False
    interactive: bool = False  # stdin is a terminal we may ask
    out: Path | None = None  # save the import plan instead of carrying it out
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)
    selection: KeySelection = EVERY_KEY  # --target / --exclude over the keys they would get


@dataclass(frozen=True)
class ImportOutcome:
    plan: Plan
    written: tuple[Path, ...] = ()  # the workflow files written
    adopted_file: str | None = None  # a key whose existing file was adopted (`--key`)
    adopted_id: str | None = None  # the workflow adopted onto that file
    approved: bool = True
    saved_to: Path | None = None

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.approved else ExitCode.ERROR


async def run(settings: ImportSettings, env: RunEnvironment, ui: Ui) -> ImportOutcome:
    settings = _check_settings(settings)
    if settings.out is not None:
        check_output_file(settings.out, "--out")
    if settings.all and not (settings.auto_approve or settings.interactive or settings.out):
        raise InputError(
            "import --all needs approval: pass --auto-approve (scripts), run it in a terminal, "
            "or save the plan with --out FILE and apply it"
        )
    inputs = await read_inputs_online(settings.target, env, ui)
    if settings.out is not None:
        check_out_file(settings.out, inputs)
    with hold_lock(inputs.store, settings.lock_timeout, env, ui):
        async with connect(inputs, settings.client, env, ui) as (target, client):
            whole = settings.all and settings.search is None  # else the GETs or a search
            prepared = await prepare(inputs, target, client, ui, persist=True, listing=whole)
            state = prepared.state
            spellings = _spellings(prepared.settler)
            if settings.all:
                listing = prepared.listing
                if settings.search or listing is None:
                    listing, spellings = await _spelled(client, state, settings.search)
                chosen = _chosen_by_filter(settings, listing, state)
                free = len(unmanaged(listing, state)) - len(chosen)  # left unmanaged after
            else:
                chosen = await _chosen_by_id(settings, client, state)
                free = 0
        chosen = _selected(settings.selection, chosen)
        adopted = _adopted_file(settings, chosen, inputs)
        if adopted is not None:
            return _adopt_existing_file(inputs, state, adopted, chosen[0][1])
        plan = plan_imports(chosen, state, inputs.desired.workflows, unmanaged_count=free)
        if settings.selection.narrowed:  # every view says the plan is targeted
            selection = settings.selection
            plan = plan.model_copy(
                update={"targets": selection.targets, "excludes": selection.excludes}
            )
        redactor = redactor_for(inputs, target, state=state, plan=plan)
        files = _files(plan, chosen, inputs, env, prepared.comparison.catalogue, redactor)
        if settings.all:
            ui.show_plan(plan, redactor)
            if settings.out is not None:
                _save(plan, settings.out, inputs, target, state, redactor)
                return ImportOutcome(plan, saved_to=settings.out)
            question = "Import these workflows? Only 'yes' will be accepted"
            if plan.has_changes and not settings.auto_approve and not ui.confirm(question):
                return ImportOutcome(plan, approved=False)
        written = _carry_out(files, spellings, inputs, state)
    return ImportOutcome(plan, written)


def _spellings(settler: ListingSettler | None) -> dict[str, str]:
    """How the listing a run read spelled each workflow (`fingerprint.listed_digest`), by id."""
    return settler.digests if settler is not None else {}


async def _spelled(
    client: OnepinClient, state: StateFile, search: str | None = None
) -> tuple[list[RemoteWorkflow], dict[str, str]]:
    """A listing, and how it spelled each workflow."""
    settler = ListingSettler(state, {})
    listing = await client.list_workflows(search=search, settle=settler)
    return listing, settler.digests


def _selected(
    selection: KeySelection, chosen: list[tuple[str, RemoteWorkflow]]
) -> list[tuple[str, RemoteWorkflow]]:
    """The chosen workflows whose keys `--target`/`--exclude` select; refuses a target that
    matches none of them."""
    if not selection.narrowed:
        return chosen
    selection.check_matches(key for key, _ in chosen)
    return [(key, workflow) for key, workflow in chosen if selection.selects(key)]


def _check_settings(settings: ImportSettings) -> ImportSettings:
    """`settings`, checked, with each id in the canonical form the API answers with (lower
    case, dashed), so an id typed in capitals is known as the workflow the lockfile manages."""
    if settings.all == bool(settings.workflow_ids):
        raise InputError("name the workflows to import (import ID [ID…]) or pass --all")
    canonical = []
    for workflow_id in settings.workflow_ids:
        try:
            canonical.append(str(uuid.UUID(workflow_id)))
        except ValueError:
            raise InputError(
                f"{workflow_id!r} is not a workflow id: ids are UUIDs, as `onepin-sync list` "
                "shows them"
            ) from None
    if settings.key is not None and len(settings.workflow_ids) != 1:
        raise InputError("--key names the key of one workflow: import ID --key KEY")
    if settings.key is not None:
        check_key(settings.key)
    if not settings.all and (settings.search or settings.name_glob or settings.out):
        raise InputError("--search, --name-glob and --out go with import --all")
    if settings.search is not None and len(settings.search) > SEARCH_MAX:
        # The API refuses a longer search (422); cut short, it would match more than was asked.
        raise InputError(
            f"--search is {len(settings.search)} characters long; the API searches for at most "
            f"{SEARCH_MAX}"
        )
    check_template(settings.dir_template)
    return replace(settings, workflow_ids=tuple(canonical))


def check_key(key: str) -> None:
    """Refuse a key that is not a path of names under the workflows folder."""
    why = key_problem(key)
    if why is not None:
        raise InputError(f"key {quoted(key)}: {why}")


def _chosen_by_filter(
    settings: ImportSettings, listing: list[RemoteWorkflow], state: StateFile
) -> list[tuple[str, RemoteWorkflow]]:
    found = matching(unmanaged(listing, state), settings.name_glob)
    return [(candidate_key(settings.dir_template, w), w) for w in found]


async def _chosen_by_id(
    settings: ImportSettings, client: OnepinClient, state: StateFile
) -> list[tuple[str, RemoteWorkflow]]:
    managed = {entry.id: key for key, entry in state.workflows.items()}
    chosen = []
    for workflow_id in dict.fromkeys(settings.workflow_ids):
        if workflow_id in managed:
            raise InputError(f"workflow {workflow_id} is already managed as {managed[workflow_id]}")
        remote = await client.get_workflow(workflow_id)
        if remote is None:
            raise InputError(f"no workflow {workflow_id} in this workspace")
        chosen.append((settings.key or candidate_key(settings.dir_template, remote), remote))
    return chosen


def _adopted_file(
    settings: ImportSettings, chosen: list[tuple[str, RemoteWorkflow]], inputs: Inputs
) -> str | None:
    """The key of an existing, unmanaged file that `import ID --key KEY` adopts, if that is it."""
    if settings.key is not None and settings.key in inputs.desired.workflows:
        return settings.key
    for key, workflow in chosen:
        if key in inputs.desired.workflows and settings.key is None and not settings.all:
            raise InputError(
                f"a workflow file for {key} exists but is not managed; name the key explicitly "
                f"(onepin-sync import {workflow.id} --key {key}) to adopt that file"
            )
    return None


def _adopt_existing_file(
    inputs: Inputs, state: StateFile, key: str, remote: RemoteWorkflow
) -> ImportOutcome:
    """Record `remote` under `key`, whose file stays as it is: the next plan shows the changes."""
    if key in state.workflows:
        raise InputError(f"{key} is already managed (id {state.workflows[key].id})")
    wanted = inputs.desired.workflows[key]
    entry = entry_for(
        remote,
        NEVER_APPLIED,
        state.salt,
        wanted.lifecycle.prevent_destroy,
        secret_paths=wanted.secret_paths,
        destroy=wanted.lifecycle.destroy,
    )
    inputs.store.write(with_refreshes(state, [StateRefresh(key=key, entry=entry)]))
    empty = Plan(changes=(), lineage=state.lineage, serial=state.serial)
    return ImportOutcome(empty, adopted_file=key, adopted_id=remote.id)


@dataclass(frozen=True)
class _ImportFile:
    """The file an import writes, and the workflow it loads back as."""

    key: str
    path: Path
    text: str
    remote: RemoteWorkflow
    loaded: DesiredWorkflow


def _files(
    plan: Plan,
    chosen: list[tuple[str, RemoteWorkflow]],
    inputs: Inputs,
    env: RunEnvironment,
    catalogue: Catalogue,
    redactor: Redactor,
) -> list[_ImportFile]:
    """The file of each planned import, in the canonical layout, each proven to load back as the
    workflow, before the plan is shown; InputError naming every workflow that would not (its
    name or graph breaks a rule of the file format), and how to import the others, masked by
    `redactor` (a name may hold a secret of the files)."""
    # ruamel.yaml loads here, not when `apply` imports this module to recognise an import plan
    from onepin_sync.files.yamlwriter import workflow_yaml

    by_id = {workflow.id: workflow for _, workflow in chosen}
    files: list[_ImportFile] = []
    refused: dict[str, str] = {}  # key: the workflow, and why
    schema = inputs.paths.lockfile.parent / SCHEMA_FILE  # the project's, beside the lockfile
    for change in plan.changes:
        remote = by_id[str(change.remote_id)]
        path = inputs.paths.workflows / f"{change.key}.yaml"
        header = schema_comment(path, schema) if schema.is_file() else ""
        header += f"# Imported from Onepin workflow {remote.id} by `onepin-sync import`.\n"
        text = workflow_yaml(remote.spec, header=header)
        ref = WorkflowFileRef(key=change.key, path=path, display=str(path))
        try:
            loaded = load_workflow_text(text, ref, env=env.environ, catalogue=catalogue)
        except WorkflowFileError as exc:
            why = "; ".join(str(problem) for problem in exc.problems)
            refused[change.key] = f"workflow {remote.id} {remote.name!r} as {change.key} ({why})"
            continue
        files.append(_ImportFile(change.key, path, text, remote, loaded))
    if refused:
        leave_out = " ".join(f"--exclude {key}" for key in refused)
        raise InputError(
            redactor.text(
                "cannot import: the workflow file would not load: "
                + "; ".join(refused.values())
                + f". Nothing was written. Change the workflow in the Onepin app, or leave it "
                f"out ({leave_out}) to import the others"
            )
        )
    return files


def _carry_out(
    files: list[_ImportFile], spellings: Mapping[str, str], inputs: Inputs, state: StateFile
) -> tuple[Path, ...]:
    """Write every planned file and record them in one lockfile write, with how the listing
    spelled each workflow (`spellings`, by id; none for a workflow read by its id); nothing is
    written when a file appeared meanwhile."""
    existing = [str(file.path) for file in files if _exists(file)]
    if existing:
        raise InputError(f"cannot import: {', '.join(existing)} already exist; nothing was written")
    refreshes = []
    written: list[Path] = []
    for file in files:
        try:
            new = write_new(file.path, file.text)
        except OSError as exc:
            why = f"cannot write {file.path} ({exc.strerror or exc})"
            if not written:
                raise InputError(f"{why}; nothing was written") from None
            raise OnepinSyncError(
                f"{why}; the lockfile was not changed, so the files written before it are not "
                f"managed: remove {', '.join(map(str, written))}, then import again"
            ) from None
        if not new:
            raise InputError(f"{file.path} already exists")
        written.append(file.path)
        loaded, remote = file.loaded, file.remote
        rules = IgnoreRules.of(loaded.ignore_changes)
        entry = entry_for(
            remote,
            desired_fingerprint(loaded.spec, state.salt, rules),
            state.salt,
            loaded.lifecycle.prevent_destroy,
            ignore=rules,
            file_hash=desired_file_hash(loaded, state.salt),
            variables=loaded.variables,
            listed_hash=listed_hash(spellings.get(remote.id), state.salt),
        )
        refreshes.append(StateRefresh(key=file.key, entry=entry))
    if refreshes:
        inputs.store.write(with_refreshes(state, refreshes))
    return tuple(file.path for file in files)


def _exists(file: _ImportFile) -> bool:
    """Whether a file is at `file.path` already; InputError when its path cannot even be looked
    at (longer than the system allows): nothing is written yet."""
    try:
        return file.path.exists()
    except OSError as exc:
        raise InputError(
            f"cannot import as {quoted(file.key)}: its file's path: {exc.strerror or exc}; "
            "nothing was written"
        ) from None


def _save(
    plan: Plan, out: Path, inputs: Inputs, target: Target, state: StateFile, redactor: Redactor
) -> None:
    plan_target = PlanTarget(
        api_url=target.api_url, workspace=target.workspace, lockfile=inputs.store.location
    )
    new_salt = None if inputs.store.exists() else state.salt
    document = plan_document(
        plan, plan_target, redactor, tool_version=__version__, new_lockfile_salt=new_salt
    )
    write_output_file(out, json.dumps(document.to_json(), indent=2, sort_keys=True) + "\n", "--out")


def is_import_plan(path: Path) -> bool:
    """Whether the saved plan at `path` is an import plan (for `apply FILE`); False when it
    cannot be read as one (then `apply` reports why)."""
    try:
        raw = read_plan_file(path)
    except InputError:
        return False
    if not isinstance(raw, dict) or raw.get("kind") != KIND:
        return False
    changes = raw.get("changes")
    return (
        isinstance(changes, list)
        and bool(changes)
        and all(isinstance(c, dict) and c.get("action") == "import" for c in changes)
    )


async def apply_saved(
    path: Path, target_options: TargetOptions, lock_timeout: float, env: RunEnvironment, ui: Ui
) -> ImportOutcome:
    """`apply FILE` of a saved import plan: refused when the lockfile moved on or a workflow
    changed since; else exactly its imports, from a fresh listing."""
    plan, doc = read_plan_document(read_plan_file(path), str(path))
    inputs = await read_inputs_online(target_options, env, ui)
    with hold_lock(inputs.store, lock_timeout, env, ui):
        async with connect(inputs, ClientOptions(), env, ui) as (target, client):
            if doc.target.api_url != target.api_url:
                raise InputError(f"{path} was made for {doc.target.api_url}, not {target.api_url}")
            prepared = await prepare(inputs, target, client, ui, persist=True)
            state = prepared.state
            if doc.lockfile.salt is not None and not inputs.store.exists():
                state = state.model_copy(
                    update={"lineage": plan.lineage, "salt": doc.lockfile.salt}
                )
            if (plan.lineage, plan.serial) != (state.lineage, state.serial):
                raise ConflictError(
                    f"{path} is stale: the lockfile moved on since it was made; run import again"
                )
            listing, spellings = prepared.listing, _spellings(prepared.settler)
            if listing is None:
                listing, spellings = await _spelled(client, state)
        listed = {workflow.id: workflow for workflow in listing}
        stale = stale_imports(plan, listed)
        if stale:
            raise ConflictError(
                f"{path} is stale; nothing was written: "
                + "; ".join(f"{key}: {why}" for key, why in sorted(stale.items()))
            )
        chosen = [(c.key, listed[str(c.remote_id)]) for c in plan.changes]
        checked = plan_imports(chosen, state, inputs.desired.workflows, unmanaged_count=0)
        redactor = redactor_for(inputs, target, state=state, plan=checked)
        files = _files(checked, chosen, inputs, env, prepared.comparison.catalogue, redactor)
        ui.show_plan(checked, redactor)
        written = _carry_out(files, spellings, inputs, state)
    return ImportOutcome(plan, written)
