"""`pull [KEY…]`: write changes made outside onepin-sync into the workflow files. Writes nothing
to the API.

Every managed workflow the classifier says the workspace is ahead of (DRIFT, or ACCEPTED: a
change `apply --refresh-only` took into the lockfile) has its file rewritten from the remote
workflow, keeping the file's leading comments and `lifecycle` (and its values at the paths its
`ignore_changes` names), and the lockfile records it as applied. `--target`/`--exclude` narrow
the keys. A CONFLICT (also changed in git) is refused unless `--force`; a file that uses
`${env.…}`/`${secret.…}`, or whose workflow holds secrets where the last apply put them (the
lockfile's `secret_paths`), is refused (rewriting it would bake the values in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from onepin_sync.api.remote import read_remote
from onepin_sync.commands.context import (
    ClientOptions,
    Inputs,
    RunEnvironment,
    Ui,
    connect,
    prepare,
    read_inputs_online,
)
from onepin_sync.core.classify import Verdict, classify
from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint, remote_fingerprint
from onepin_sync.core.ignore import with_remote_values
from onepin_sync.core.models import (
    DesiredWorkflow,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
    WorkflowSpec,
)
from onepin_sync.core.selection import EVERY_KEY, KeySelection
from onepin_sync.core.transitions import entry_for, with_refreshes
from onepin_sync.errors import ConflictError, ExitCode, InputError
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.reader import find_workflow_files, read_text
from onepin_sync.files.writer import atomic_write
from onepin_sync.files.yamlwriter import workflow_yaml


@dataclass(frozen=True)
class PullSettings:
    target: TargetOptions
    keys: tuple[str, ...] = ()  # empty: every managed workflow
    selection: KeySelection = EVERY_KEY  # --target / --exclude
    force: bool = False  # also overwrite files changed in git since the last apply
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class PullOutcome:
    written: tuple[Path, ...]  # the files rewritten from the workspace
    exit_code: int = ExitCode.OK


async def run(settings: PullSettings, env: RunEnvironment, ui: Ui) -> PullOutcome:
    inputs = await read_inputs_online(settings.target, env, ui)
    with inputs.store.lock(timeout=settings.lock_timeout, env=env.environ):
        async with connect(inputs, settings.client, env) as (target, client):
            prepared = await prepare(inputs, target, client, ui, persist=True)
            state = prepared.state
            remote = await read_remote(client, state, prepared.listing)
        unknown = [k for k in settings.keys if k not in state.workflows]
        if unknown:
            raise InputError(f"not managed (not in the lockfile): {', '.join(unknown)}")
        files = {ref.key: ref.path for ref in find_workflow_files(inputs.paths.workflows)[0]}
        settings.selection.check_matches(state.workflows)
        pulled = _drifted(settings, inputs, state, remote, files)
        for key, current in pulled.items():
            path = files[key]
            wanted = inputs.desired.workflows[key]
            spec = current.spec
            if wanted.lifecycle.ignore_changes:  # the file's own values stay where it ignores
                kept = with_remote_values(
                    spec.model_dump(), wanted.spec.model_dump(), wanted.lifecycle.ignore_changes
                )
                spec = WorkflowSpec.model_validate(kept)
            header = _leading_comments(path)
            atomic_write(path, workflow_yaml(spec, lifecycle=wanted.lifecycle, header=header))
        if pulled:
            reloaded = load_workflows(inputs.paths.workflows, env=env.environ)
            refreshes = [
                StateRefresh(key=key, entry=_pulled_entry(reloaded.workflows[key], current, state))
                for key, current in pulled.items()
            ]
            inputs.store.write(with_refreshes(state, refreshes))
    return PullOutcome(tuple(files[key] for key in pulled))


def _pulled_entry(wanted: DesiredWorkflow, current: RemoteWorkflow, state: StateFile) -> StateEntry:
    """The entry of a workflow whose file now holds what the workspace does."""
    rules = IgnoreRules.of(wanted.ignore_changes)
    return entry_for(
        current,
        desired_fingerprint(wanted.spec, state.salt, rules),
        state.salt,
        wanted.lifecycle.prevent_destroy,
        secret_paths=wanted.secret_paths,
        destroy=wanted.lifecycle.destroy,
        ignore=rules,
    )


def _drifted(
    settings: PullSettings,
    inputs: Inputs,
    state: StateFile,
    remote: RemoteState,
    files: Mapping[str, Path],
) -> dict[str, RemoteWorkflow]:
    """The remote workflows to write into their files, by key; refuses conflicts and files
    that use interpolation, before anything is written."""
    pulled: dict[str, RemoteWorkflow] = {}
    refused: list[str] = []
    unsafe: list[str] = []  # every file pulling would write a value into, reported at once
    for key in settings.keys or sorted(state.workflows):
        entry = state.workflows[key]
        current = remote.workflows.get(entry.id)
        wanted = inputs.desired.workflows.get(key)
        if current is None or wanted is None or not settings.selection.selects(key):
            continue
        recorded = IgnoreRules.of(entry.ignore_changes)  # the rules its hashes were taken under
        verdict = classify(
            entry,
            desired_fingerprint(wanted.spec, state.salt, recorded),
            remote_fingerprint(current.spec, state.salt, recorded),
        )
        if not verdict.remote_changed:
            continue
        if verdict is Verdict.CONFLICT and not settings.force:
            refused.append(key)
        elif "${" in read_text(files[key]):
            unsafe.append(f"{wanted.path} uses ${{env.…}} or ${{secret.…}}")
        elif entry.secret_paths:
            unsafe.append(
                f"{wanted.path}: the workspace holds secrets in {key} where the last apply put them"
            )
        else:
            pulled[key] = current
    conflicts = (
        "changed both in git and outside onepin-sync: "
        + ", ".join(refused)
        + "; pull --force overwrites the files, apply --force overwrites the workspace"
    )
    if unsafe:
        also = f"; also {conflicts}" if refused else ""
        raise InputError(
            "; ".join(unsafe)
            + "; pulling would write their values into it. Edit it by hand (or plan "
            "--refresh-only to keep the remote)" + also
        )
    if refused:
        raise ConflictError(conflicts)
    return pulled


def _leading_comments(path: Path) -> str:
    """The comment lines at the top of a file (its schema line, its explanation)."""
    lines = []
    for line in read_text(path).splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line if line.endswith("\n") else line + "\n")
    return "".join(lines)
