"""`validate`: check every workflow file offline; with `--online`, also ask the API's run-readiness
check (`POST /workflows/validate`) about each definition. Writes nothing anywhere.

Offline, `${env.X}`/`${secret.X}` need no values (a pre-commit hook or a pull request from a fork
has none): each reference must be well-formed, and the outcome lists the variables a plan will
need and whether this environment sets them. `strict_env` (and `--online`, which sends the
definitions) requires every value, as plan and apply do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from onepin_sync.api.client import ValidationReport
from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    connect,
    read_inputs_online,
    redactor_for,
    require_folder,
)
from onepin_sync.commands.target import target_label
from onepin_sync.core.models import DesiredState
from onepin_sync.core.redact import NO_SECRETS, Redactor
from onepin_sync.errors import ExitCode, InputError
from onepin_sync.files.catalogue_cache import cached_catalogue
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import TargetOptions, load_project


@dataclass(frozen=True)
class ValidateSettings:
    target: TargetOptions
    online: bool = False
    strict_env: bool = False


@dataclass(frozen=True)
class Variable:
    """An environment variable the files reference: what a plan will need."""

    name: str
    secret: bool  # referenced as ${secret.NAME} somewhere
    is_set: bool  # set and non-empty in this environment


@dataclass(frozen=True)
class ValidateOutcome:
    workflows: int
    reports: Mapping[str, ValidationReport]  # by key; empty when offline
    redactor: Redactor = NO_SECRETS  # the server's messages may quote the files' secrets
    variables: tuple[Variable, ...] = ()  # sorted by name

    @property
    def valid(self) -> bool:
        return all(r.valid for r in self.reports.values())

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.valid else ExitCode.INVALID_INPUT


async def run(settings: ValidateSettings, env: RunEnvironment, ui: Ui) -> ValidateOutcome:
    if not settings.online:
        paths, env_config = load_project(settings.target, env.cwd)
        label = target_label(settings.target, env_config, env.environ, env.home)
        catalogue = cached_catalogue(paths.local_dir, label)  # the server's, once a run read it
        desired = load_workflows(
            paths.workflows,
            env=env.environ,
            catalogue=catalogue,
            require_values=settings.strict_env,
            skip=paths.own_files,
        )
        if not desired.folder_exists:
            raise InputError(f"workflows folder {paths.workflows} does not exist")
        variables = variables_needed(desired, env.environ)
        return ValidateOutcome(len(desired.workflows), {}, variables=variables)
    inputs = await read_inputs_online(settings.target, env, ui)
    require_folder(inputs)
    workflows = inputs.desired.workflows
    async with connect(inputs, ClientOptions(), env) as (target, client):
        keys = sorted(workflows)
        reports = await asyncio.gather(
            *(client.validate_definition(workflows[k].spec.definition) for k in keys)
        )
    redactor = redactor_for(inputs, target)
    variables = variables_needed(inputs.desired, env.environ)
    return ValidateOutcome(len(keys), dict(zip(keys, reports, strict=True)), redactor, variables)


def variables_needed(desired: DesiredState, environ: Mapping[str, str]) -> tuple[Variable, ...]:
    """The variables the files reference, one per name (a secret if any reference says so)."""
    secret: dict[str, bool] = {}
    for source, name in desired.references:
        secret[name] = secret.get(name, False) or source == "secret"
    return tuple(Variable(name, secret[name], bool(environ.get(name))) for name in sorted(secret))
