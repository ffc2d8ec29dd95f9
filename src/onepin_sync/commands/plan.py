"""`plan`: files + lockfile + one listing -> a Plan, shown by a view and optionally saved.

Reads only: the journal of an interrupted apply is accounted for, never settled on disk (that
takes the state lock, which `plan` never holds).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from onepin_sync import __version__
from onepin_sync.api.remote import read_remote
from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    check_declarations,
    check_out_file,
    check_selection,
    connect,
    read_inputs_online,
    redactor_for,
)
from onepin_sync.commands.preparation import prepare
from onepin_sync.commands.provenance import git_commit
from onepin_sync.core.models import Plan
from onepin_sync.core.plan_document import PlanDocument, PlanTarget, plan_document
from onepin_sync.core.planner import PlanOptions, plan_changes
from onepin_sync.core.redact import Redactor
from onepin_sync.core.settled import unsettled_keys
from onepin_sync.errors import ExitCode
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.writer import check_output_file, write_output_file


@dataclass(frozen=True)
class PlanSettings:
    target: TargetOptions
    plan: PlanOptions = field(default_factory=PlanOptions)
    client: ClientOptions = field(default_factory=ClientOptions)
    out: Path | None = None
    detailed_exitcode: bool = False


@dataclass(frozen=True)
class PlanOutcome:
    plan: Plan
    target: PlanTarget
    redactor: Redactor
    new_lockfile_salt: str | None  # the salt a first apply records (no lockfile yet)
    saved_to: Path | None = None
    detailed_exitcode: bool = False
    environment: str | None = None  # the project file's environment, when one was named
    commit: str | None = None  # the git commit planned from, when known

    @property
    def exit_code(self) -> int:
        changed = self.plan.has_changes or bool(self.plan.drift)
        return ExitCode.CHANGES if self.detailed_exitcode and changed else ExitCode.OK

    @cached_property
    def document(self) -> PlanDocument:
        """The JSON view and saved form (secrets masked), built only for them: masking every
        changed workflow's before and after takes 1-2 ms each."""
        return plan_document(
            self.plan,
            self.target,
            self.redactor,
            tool_version=__version__,
            new_lockfile_salt=self.new_lockfile_salt,
        )


async def run(settings: PlanSettings, env: RunEnvironment, ui: Ui) -> PlanOutcome:
    if settings.out is not None:
        check_output_file(settings.out, "--out")
    inputs = await read_inputs_online(settings.target, env, ui, lean=True)
    if settings.out is not None:
        check_out_file(settings.out, inputs)
    check_selection(inputs, settings.plan.selection)
    check_declarations(inputs)
    started = time.monotonic()
    async with connect(inputs, settings.client, env, ui) as (target, client):
        prepared = await prepare(inputs, target, client, ui, persist=False)
        state = prepared.state
        remote = await read_remote(client, state, prepared.listing, settler=prepared.settler)
        inputs = prepared.inputs
        inputs = inputs.with_files_read(unsettled_keys(inputs.desired, remote, state))
        ui.detail(
            f"Read {len(inputs.desired.keys)} workflow file(s) and "
            f"{len(remote.workflows)} remote workflow(s) in {time.monotonic() - started:.1f}s "
            f"({client.requests_sent} requests)"
        )
    plan = plan_changes(inputs.desired, remote, state, settings.plan, prepared.comparison)
    redactor = redactor_for(inputs, target, state=state, plan=plan)
    plan_target = PlanTarget(
        api_url=target.api_url,
        workspace=state.workspace or target.workspace,  # the key's, as whoami said
        lockfile=inputs.store.location,
    )
    outcome = PlanOutcome(
        plan,
        plan_target,
        redactor,
        new_lockfile_salt=None if inputs.store.exists() else state.salt,
        saved_to=settings.out,
        detailed_exitcode=settings.detailed_exitcode,
        environment=settings.target.env_name,
        commit=git_commit(env.environ, env.cwd),
    )
    if settings.out is not None:
        text = json.dumps(outcome.document.to_json(), indent=2, sort_keys=True) + "\n"
        write_output_file(settings.out, text, "--out")
    return outcome
