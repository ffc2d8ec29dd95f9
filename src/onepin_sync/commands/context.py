"""The context every command runs in: the terminal as a `Ui` port, the process environment, the
inputs read for a run (project, workflow files, target, state store), the connection to the API
(with the embedded emulator for `--emulator`) and the state lock; `preparation.py` takes it
from there once connected.

Commands reach state only through `Inputs.store` (a `StateStore`), the API only through the
client `connect` yields, and the terminal only through `Ui`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.session import SessionOptions
from onepin_sync.commands.target import EMULATOR_API_URL, Target, resolve_target
from onepin_sync.core.catalog import Catalogue, catalogue_from_nodes
from onepin_sync.core.models import DesiredState, Json, Plan, StateFile
from onepin_sync.core.redact import Redactor, secret_places
from onepin_sync.core.renames import declared_refreshes
from onepin_sync.core.results import ChangeResult
from onepin_sync.core.selection import KeySelection
from onepin_sync.core.settled import AppliedFiles
from onepin_sync.errors import InputError, OnepinSyncError, WorkflowFileError
from onepin_sync.files.catalogue_cache import cache_catalogue, cached_catalogue
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import ProjectPaths, TargetOptions, load_project
from onepin_sync.state.store import FileStateStore, StateStore, open_state_store


class ProgressBar(Protocol):
    """One bar of work (see `Ui.bar`)."""

    def advance(self, amount: int = 1) -> None: ...
    def update(self, *, completed: int, total: int) -> None: ...


class Ui(Protocol):
    """The terminal, as the commands see it."""

    def set_redactor(self, redactor: Redactor) -> None:
        """Mask `redactor`'s secrets in everything shown from now on (--debug lines included)."""
        ...

    def warn(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...

    def detail(self, message: str) -> None:
        """What a step did, for --verbose."""
        ...

    def show_plan(self, plan: Plan, redactor: Redactor) -> None: ...
    def confirm(self, question: str) -> bool: ...

    def progress(self, result: ChangeResult) -> None:
        """One change's outcome, as it ends."""
        ...

    def bar(self, description: str, total: int) -> AbstractContextManager[ProgressBar]:
        """Progress of `total` steps while the block runs (a bar on a terminal)."""
        ...

    def listed(self, done: int, total: int) -> None:
        """A workflow listing has read `done` of `total` workflows."""
        ...

    def waiting(self, message: Callable[[], str]) -> AbstractContextManager[None]:
        """The block waits for something `message()` names (the state lock's holder)."""
        ...


@dataclass(frozen=True)
class RunEnvironment:
    """The process context, passed in so every command is testable."""

    cwd: Path
    home: Path
    environ: Mapping[str, str] = field(repr=False)
    log: Callable[[str], None] | None = None  # --debug request lines
    # Called once a run has read its inputs, which live until it ends: the CLI moves them out of
    # the garbage collector's sight (`gc.freeze`), so its collections stop walking them again.
    inputs_read: Callable[[], None] | None = None


@dataclass(frozen=True)
class ClientOptions:
    """Network behaviour of a run."""

    parallelism: int = 8
    rps: float | None = None
    timeout: float = 30.0
    deadline: float | None = None


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk for one run, and where its state lives."""

    paths: ProjectPaths
    desired: DesiredState
    target: Target | None  # None for --emulator until the emulator runs
    store: StateStore
    # Reads the files of some keys again, in full: files kept as `AppliedFile`s (`lean` runs).
    reread: Callable[[Collection[str]], DesiredState] | None = field(default=None, repr=False)

    def with_files_read(self, keys: Collection[str]) -> Inputs:
        """These inputs with the `AppliedFile`s of `keys` read again, specs and all."""
        keys = [k for k in keys if k in self.desired.applied]
        if not keys:
            return self
        assert self.reread is not None, "files kept without their spec come with `reread`"
        again = self.reread(keys)
        desired = self.desired.model_copy(
            update={
                "workflows": {**self.desired.workflows, **again.workflows},
                "applied": {k: f for k, f in self.desired.applied.items() if k not in keys},
                "secret_values": self.desired.secret_values | again.secret_values,
            }
        )
        return replace(self, desired=desired)


def read_project(options: TargetOptions, env: RunEnvironment) -> tuple[ProjectPaths, StateStore]:
    """The project's paths and its state store, without reading any workflow file."""
    paths, _ = load_project(options, env.cwd)
    return paths, open_state_store(paths.lockfile, paths.state_url, env.environ)


def read_inputs(
    options: TargetOptions,
    env: RunEnvironment,
    ui: Ui,
    *,
    lean: bool = False,
    catalogue: Catalogue | None = None,
) -> Inputs:
    """Project file, workflow files and target; fails before any network traffic.

    `lean` (plan, apply) keeps each file exactly as the lockfile says it was last applied as an
    `AppliedFile`, without its spec (`core/settled.py`), for a lockfile on disk with nothing to
    settle. From here on `ui` masks the files' secrets and the key, before the first request is
    logged. The files are checked against `catalogue`, by default the one cached for the target.
    """
    paths, env_config = load_project(options, env.cwd)
    target = None
    warnings: list[str] = []
    unresolved: InputError | None = None
    if not options.emulator:
        try:
            target = resolve_target(options, env_config, env.environ, env.home, warnings)
        except InputError as exc:  # raised after the files' problems, which come first
            unresolved = exc
    api_url = target.api_url if target is not None else EMULATOR_API_URL
    if catalogue is None:
        catalogue = cached_catalogue(paths.local_dir, api_url)  # the server's, once a run read it

    def read(keys: Collection[str] | None = None, state: StateFile | None = None) -> DesiredState:
        applied = AppliedFiles(state) if state is not None else None
        return load_workflows(
            paths.workflows,
            env=env.environ,
            catalogue=catalogue,
            applied=applied,
            keys=keys,
            skip=paths.own_files,
        )

    local = FileStateStore(paths.lockfile) if paths.state_url is None else None
    desired = read(state=_lean_basis(paths, local) if lean and local is not None else None)
    if paths.moved or paths.removed:
        desired = desired.model_copy(update={"moved": paths.moved, "removed": paths.removed})
    if unresolved is not None:
        raise unresolved
    store = local or open_state_store(paths.lockfile, paths.state_url, env.environ)
    inputs = Inputs(paths, desired, target, store, reread=read)
    ui.set_redactor(redactor_for(inputs))
    for warning in warnings:
        ui.warn(warning)
    if env.inputs_read is not None:
        env.inputs_read()
    return inputs


def _lean_basis(paths: ProjectPaths, store: FileStateStore) -> StateFile | None:
    """The lockfile a lean run may keep files as applied under: one on disk (a state in object
    storage is not read before the files are valid), for a project file moving and removing no
    key, with no interrupted apply to settle; else None."""
    if paths.moved or paths.removed:
        return None
    try:
        state = store.read()
        if state is None or state.pending or store.read_journal():
            return None
    except OnepinSyncError:  # reported where the run reads it for planning, after the files
        return None
    return state


def check_selection(inputs: Inputs, selection: KeySelection) -> None:
    """Refuse a `--target` that matches no file and no lockfile key, before any request (the
    planner checks the same once it plans)."""
    if not selection.targets:
        return
    state = inputs.store.read()  # a local lockfile's read is cached: this costs nothing
    known = inputs.desired.keys | (
        state.workflows.keys() | state.pending.keys() if state else set()
    )
    selection.check_matches(known)


def check_declarations(inputs: Inputs) -> None:
    """Refuse a project file's `moved:` or `removed:` entry that cannot hold, before any
    request; with an interrupted apply to settle first, the planner checks them after it."""
    if not (inputs.desired.moved or inputs.desired.removed):
        return
    state = inputs.store.read()
    if state is not None and not state.pending and not inputs.store.read_journal():
        declared_refreshes(inputs.desired, state)


def check_out_file(out: Path, inputs: Inputs) -> None:
    """Refuse a `--out` file that is one of the project's own files (the lockfile, the project
    file, a workflow file, the journal), before any request: a saved plan never replaces one."""
    if inputs.paths.holds(out):
        raise InputError(
            f"--out {out} is one of the project's own files (the lockfile, the project file, the "
            "workflows folder or .onepin-sync/); name another file"
        )


def require_folder(inputs: Inputs) -> None:
    """Refuse a run whose workflows folder does not exist."""
    if not inputs.desired.folder_exists:
        raise InputError(f"workflows folder {inputs.paths.workflows} does not exist")


@asynccontextmanager
async def connect(
    inputs: Inputs, client_options: ClientOptions, env: RunEnvironment, ui: Ui | None = None
) -> AsyncIterator[tuple[Target, OnepinClient]]:
    """The target and a client for it, running the embedded emulator for `--emulator`; its
    listings show their progress on `ui`."""
    secrets = inputs.desired.secret_values  # masked in every error and --debug line too
    async with connect_target(
        inputs.paths, inputs.target, secrets, client_options, env, ui
    ) as pair:
        yield pair


@contextmanager
def hold_lock(store: StateStore, timeout: float, env: RunEnvironment, ui: Ui) -> Iterator[None]:
    """Hold the state lock while the block runs; waiting for it (`--lock-timeout`) shows who
    holds it (a spinner on a terminal)."""

    def holder() -> str:
        info = store.live_holder() or {}
        who = f" held by {info.get('who')}@{info.get('host')} (pid {info.get('pid')})"
        since = f" since {info.get('created_at')}" if info.get("created_at") else ""
        return f"Waiting for the state lock{who if info else ''}{since} (up to {timeout:g}s)"

    lock = store.lock(timeout=timeout, env=env.environ)
    if not timeout:  # no wait: it is taken at once, or refused
        with lock:
            yield
        return
    with ExitStack() as held:
        with ui.waiting(holder):
            held.enter_context(lock)
        yield


@asynccontextmanager
async def connect_target(
    paths: ProjectPaths,
    target: Target | None,
    secrets: Iterable[str],
    client_options: ClientOptions,
    env: RunEnvironment,
    ui: Ui | None = None,
) -> AsyncIterator[tuple[Target, OnepinClient]]:
    """A client for `target`, or for the embedded emulator when it is None (`--emulator`)."""
    emulator = None
    if target is None:
        from onepin_sync.emulator import EmulatorError
        from onepin_sync.emulator.embedded import start_embedded

        try:
            emulator = start_embedded(paths.local_dir / "emulator.db")
        except EmulatorError as exc:
            raise InputError(str(exc)) from None
        target = Target(
            base_url=emulator.base_url,
            api_key=emulator.default_api_key,
            workspace=None,
            api_url=EMULATOR_API_URL,
        )
    try:
        settings = SessionOptions(
            base_url=target.base_url,
            api_key=target.api_key,
            workspace_id=target.workspace,
            timeout=client_options.timeout,
            deadline=client_options.deadline,
            parallelism=client_options.parallelism,
            rps=client_options.rps,
        )
        on_listing = None if ui is None else ui.listed
        async with OnepinClient(
            settings, log=env.log, secrets=secrets, on_listing=on_listing
        ) as client:
            yield target, client
    finally:
        if ui is not None:
            ui.listed(0, 0)  # a listing cut short by an error ends its bar with the client
        if emulator is not None:
            emulator.stop()


async def read_inputs_online(
    options: TargetOptions, env: RunEnvironment, ui: Ui, *, lean: bool = False
) -> Inputs:
    """`read_inputs` for a run that talks to the API: when the files' only problems are node
    types or ports the known catalogue lacks, the server's catalogue is read (one request,
    public) and cached, and the files are checked again against it."""
    try:
        return read_inputs(options, env, ui, lean=lean)
    except WorkflowFileError as exc:
        if not exc.only_catalogue:
            raise
        paths, env_config = load_project(options, env.cwd)
        target = None
        if not options.emulator:
            target = resolve_target(options, env_config, env.environ, env.home, [])
        async with connect_target(paths, target, (), ClientOptions(), env) as (resolved, client):
            served = await client.list_node_types()
        cache_served_catalogue(paths.local_dir, resolved.api_url, served, ui)
        try:
            catalogue = catalogue_from_nodes(served, f"the catalogue of {resolved.api_url}")
        except ValueError:  # checked against the known one again, with its problems
            return read_inputs(options, env, ui, lean=lean)
        return read_inputs(options, env, ui, lean=lean, catalogue=catalogue)


def cache_served_catalogue(local_dir: Path, api_url: str, served: list[Json], ui: Ui) -> None:
    """Cache the catalogue `api_url` served; a warning when it cannot be (read-only)."""
    why = cache_catalogue(local_dir, api_url, served)
    if why is not None:
        ui.warn(
            f"the node catalogue could not be cached ({why}); offline validate keeps checking "
            "against the last one known"
        )


def redactor_for(
    inputs: Inputs,
    target: Target | None = None,
    *,
    state: StateFile | None = None,
    plan: Plan | None = None,
) -> Redactor:
    """Masks the files' secret values and the API key in everything a run prints or writes.

    With the lockfile `state`, the workspace's side of a change is also masked at every place
    where the files put a secret, now or at the last apply (a secret rotated, replaced by a
    literal, or in a removed file); with the `plan`, what its remote specs hold there is masked
    in any text too (progress lines, server messages).
    """
    api_key = target.api_key if target else inputs.target.api_key if inputs.target else None
    values = [*inputs.desired.secret_values, *([api_key] if api_key else [])]
    redactor = Redactor(values, secret_places(inputs.desired, state))
    if plan is None:
        return redactor
    return redactor.learning((c.key, c.before.model_dump()) for c in plan.changes if c.before)
