"""The context every command runs in: the terminal as a `Ui` port, the process environment, the
inputs read for a run (project, workflow files, target, state store), the connection to the API
(with the embedded emulator for `--emulator`) and the lockfile as an interrupted apply left it.

Commands reach state only through `Inputs.store` (a `StateStore`), the API only through the
client `connect` yields, and the terminal only through `Ui`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from onepin_sync.api.client import OnepinClient
from onepin_sync.api.session import SessionOptions
from onepin_sync.commands.target import EMULATOR_API_URL, Target, resolve_target
from onepin_sync.core.models import DesiredState, Plan, StateFile
from onepin_sync.core.redact import Redactor
from onepin_sync.core.results import ChangeResult
from onepin_sync.errors import InputError
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import ProjectPaths, TargetOptions, load_project
from onepin_sync.state.lockfile import new_state
from onepin_sync.state.recovery import settle_journal
from onepin_sync.state.store import StateStore, open_state_store


class Ui(Protocol):
    """The terminal, as the commands see it."""

    def set_redactor(self, redactor: Redactor) -> None:
        """Mask `redactor`'s secrets in everything shown from now on (--debug lines included)."""
        ...

    def warn(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def show_plan(self, plan: Plan, redactor: Redactor) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def progress(self, result: ChangeResult) -> None: ...


@dataclass(frozen=True)
class RunEnvironment:
    """The process context, passed in so every command is testable."""

    cwd: Path
    home: Path
    environ: Mapping[str, str] = field(repr=False)
    log: Callable[[str], None] | None = None  # --debug request lines


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


def read_project(options: TargetOptions, env: RunEnvironment) -> tuple[ProjectPaths, StateStore]:
    """The project's paths and its state store, without reading any workflow file."""
    paths, _ = load_project(options, env.cwd)
    return paths, open_state_store(paths.lockfile)


def read_inputs(options: TargetOptions, env: RunEnvironment, ui: Ui) -> Inputs:
    """Project file, workflow files and target; fails before any network traffic.

    From here on `ui` masks the files' secrets and the key, before the first request is logged.
    """
    paths, env_config = load_project(options, env.cwd)
    desired = load_workflows(paths.workflows, env=env.environ)
    target = None
    warnings: list[str] = []
    if not options.emulator:
        target = resolve_target(options, env_config, env.environ, env.home, warnings)
    inputs = Inputs(paths, desired, target, open_state_store(paths.lockfile))
    ui.set_redactor(redactor_for(inputs))
    for warning in warnings:
        ui.warn(warning)
    return inputs


def require_folder(inputs: Inputs) -> None:
    """Refuse a run whose workflows folder does not exist."""
    if not inputs.desired.folder_exists:
        raise InputError(f"workflows folder {inputs.paths.workflows} does not exist")


@asynccontextmanager
async def connect(
    inputs: Inputs, client_options: ClientOptions, env: RunEnvironment
) -> AsyncIterator[tuple[Target, OnepinClient]]:
    """The target and a client for it, running the embedded emulator for `--emulator`."""
    emulator = None
    target = inputs.target
    if target is None:
        from onepin_sync.emulator.embedded import start_embedded

        emulator = start_embedded(inputs.paths.local_dir / "emulator.db")
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
        async with OnepinClient(settings, log=env.log) as client:
            yield target, client
    finally:
        if emulator is not None:
            emulator.stop()


def state_for(inputs: Inputs, target: Target) -> StateFile:
    """The lockfile for `target`, or a new one; refuses a lockfile made for another target."""
    state = inputs.store.read()
    if not inputs.desired.folder_exists and (state is None or not state.workflows):
        raise InputError(
            f"workflows folder {inputs.paths.workflows} does not exist (create it, or pass --dir)"
        )
    if state is None:
        return new_state(target.api_url, target.workspace)
    if state.api_url != target.api_url or (
        state.workspace and target.workspace and state.workspace != target.workspace
    ):
        where = state.api_url + (f" workspace {state.workspace}" if state.workspace else "")
        raise InputError(
            f"{inputs.store.location} belongs to {where}, not {target.api_url}; use another "
            "--lockfile or an environment in onepin-sync.yaml for each target"
        )
    return state


def redactor_for(inputs: Inputs, target: Target | None = None) -> Redactor:
    """Masks the files' secret values and the API key in everything a run prints or writes."""
    key = target.api_key if target else inputs.target.api_key if inputs.target else None
    return Redactor([*inputs.desired.secret_values, *([key] if key else [])])


async def settled_state(
    inputs: Inputs, target: Target, client: OnepinClient, ui: Ui, *, persist: bool
) -> StateFile:
    """The lockfile, with what an interrupted apply's journal proves recorded.

    A command holding the state lock persists the settlement; `plan` only accounts for it.
    """
    state = state_for(inputs, target)
    store = inputs.store
    lines = store.read_journal()
    if not lines:
        return state
    holder = None if persist else store.live_holder()
    if holder is not None:
        ui.warn(
            f"an apply is running (pid {holder.get('pid')}, since {holder.get('created_at')}); "
            "this plan does not include the writes it has in progress"
        )
        return state
    settlement = await settle_journal(lines, state, inputs.desired, client)
    for note in settlement.notes:
        ui.warn(f"interrupted apply: {note}")
    if persist:
        if settlement.state is not state:
            store.write(settlement.state)
        store.remove_journal()
    elif settlement.notes:
        ui.warn("the next apply records these in the lockfile")
    return settlement.state
