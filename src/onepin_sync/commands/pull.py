"""`pull [KEY…]`: write changes made outside onepin-sync into the workflow files. Writes nothing
to the API.

Every managed workflow the classifier says the workspace is ahead of (DRIFT, or ACCEPTED: a
change `apply --refresh-only` took into the lockfile) has its file edited to say what the
workspace holds, but at the paths its ignore rules name (`core/ignore.py`), changing only the
fields that differ (the plan's field-level differences): comments, key order, flow style and
quoting of everything else stay as they are (`files/fileedit.py`), so a one-field change in the
app is a one-line change in git. Each edited text is loaded back in
memory and must equal the workspace's workflow before the file is written; the lockfile records
it as applied. `--dry-run` shows the unified diff of each file and writes nothing.

A CONFLICT (also changed in git) is refused unless `--force`; a file that uses
`${env.…}`/`${secret.…}`, or whose workflow holds secrets where the last apply put them (the
lockfile's `secret_paths`), is refused (rewriting it would bake the values in).
`--target`/`--exclude` narrow the keys pulled.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from onepin_sync.api.remote import read_remote
from onepin_sync.commands.context import (
    ClientOptions,
    Inputs,
    RunEnvironment,
    Ui,
    connect,
    hold_lock,
    read_inputs_online,
)
from onepin_sync.commands.preparation import prepare
from onepin_sync.core.classify import Verdict, classify
from onepin_sync.core.diff import differences
from onepin_sync.core.fingerprint import (
    Comparison,
    IgnoreRules,
    desired_fingerprint,
    listed_hash,
    remote_fingerprint,
)
from onepin_sync.core.models import (
    DesiredWorkflow,
    RemoteState,
    RemoteWorkflow,
    StateEntry,
    StateFile,
    StateRefresh,
)
from onepin_sync.core.selection import EVERY_KEY, KeySelection
from onepin_sync.core.settled import desired_file_hash
from onepin_sync.core.transitions import entry_for, with_refreshes
from onepin_sync.errors import ConflictError, ExitCode, InputError
from onepin_sync.files.discovery import WorkflowFileRef
from onepin_sync.files.fileedit import apply_changes
from onepin_sync.files.loader import load_workflow_text
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.reader import (
    find_workflow_files,
    line_ends,
    read_workflow_text,
    with_line_ends,
)
from onepin_sync.files.roundtrip import Document, RoundTripError, canonical_text
from onepin_sync.files.writer import atomic_write
from onepin_sync.files.yamlwriter import file_document


@dataclass(frozen=True)
class PullSettings:
    target: TargetOptions
    keys: tuple[str, ...] = ()  # empty: every managed workflow
    selection: KeySelection = EVERY_KEY  # --target / --exclude
    force: bool = False  # also overwrite files changed in git since the last apply
    dry_run: bool = False  # show the diffs, write nothing
    lock_timeout: float = 0.0
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class PullOutcome:
    written: tuple[Path, ...]  # the files rewritten from the workspace (would be, with dry_run)
    diffs: tuple[str, ...] = ()  # the unified diff of each of them
    dry_run: bool = False
    exit_code: int = ExitCode.OK


async def run(settings: PullSettings, env: RunEnvironment, ui: Ui) -> PullOutcome:
    inputs = await read_inputs_online(settings.target, env, ui)
    _check_keys(settings, inputs.store.read(), pending=True)  # before any request
    with hold_lock(inputs.store, settings.lock_timeout, env, ui):
        async with connect(inputs, settings.client, env, ui) as (target, client):
            prepared = await prepare(inputs, target, client, ui, persist=True)
            state = prepared.state
            remote = await read_remote(client, state, prepared.listing, settler=prepared.settler)
        _check_keys(settings, state, pending=False)  # once pending creates are settled
        files = {
            ref.key: ref.path
            for ref in find_workflow_files(inputs.paths.workflows, inputs.paths.own_files)[0]
        }
        pulled = _drifted(settings, inputs, state, remote, files)
        edits = {
            key: _edited(files[key], inputs.desired.workflows[key], current, prepared.comparison)
            for key, current in pulled.items()
        }
        diffs = tuple(edit.diff for edit in edits.values())
        if settings.dry_run or not pulled:
            return PullOutcome(tuple(files[key] for key in pulled), diffs, settings.dry_run)
        for key, edit in edits.items():
            atomic_write(files[key], edit.text)
        refreshes = [
            StateRefresh(
                key=key,
                entry=_pulled_entry(
                    edits[key].workflow, current, state, remote.listed.get(current.id)
                ),
            )
            for key, current in pulled.items()
        ]
        inputs.store.write(with_refreshes(state, refreshes))
    return PullOutcome(tuple(files[key] for key in pulled), diffs)


def _check_keys(settings: PullSettings, state: StateFile | None, *, pending: bool) -> None:
    """Refuse keys and `--target`s that name no workflow the lockfile manages (`pending`: or a
    create it has pending, which the run may settle)."""
    managed = set(state.workflows) if state is not None else set()
    if state is not None and pending:
        managed |= set(state.pending)
    unknown = [k for k in settings.keys if k not in managed]
    if unknown:
        raise InputError(f"not managed (not in the lockfile): {', '.join(unknown)}")
    settings.selection.check_matches(managed)


def _pulled_entry(
    wanted: DesiredWorkflow, current: RemoteWorkflow, state: StateFile, spelling: str | None
) -> StateEntry:
    """The entry of a workflow whose file now holds what the workspace does (`spelling`: the
    listing's `listed_digest` of it)."""
    rules = IgnoreRules.of(wanted.ignore_changes)
    return entry_for(
        current,
        desired_fingerprint(wanted.spec, state.salt, rules),
        state.salt,
        wanted.lifecycle.prevent_destroy,
        secret_paths=wanted.secret_paths,
        destroy=wanted.lifecycle.destroy,
        ignore=rules,
        file_hash=desired_file_hash(wanted, state.salt),
        variables=wanted.variables,
        listed_hash=listed_hash(spelling, state.salt),
    )


@dataclass(frozen=True)
class _Edit:
    text: str  # the file's new text
    diff: str  # unified diff from the old text
    workflow: DesiredWorkflow  # the new text, loaded


def _edited(
    path: Path, wanted: DesiredWorkflow, current: RemoteWorkflow, comparison: Comparison
) -> _Edit:
    """The file at `path` edited to hold `current`, proven to load as it before anything is
    written; InputError when it cannot be edited that way (then nothing is written at all)."""
    raw, _ = read_workflow_text(path)  # it loaded, so it decodes
    old, newline = line_ends(raw)  # a Windows checkout's line ends are kept
    try:
        document = Document(old)
    except RoundTripError as exc:
        raise InputError(f"{wanted.path}: {exc}") from None
    comparison = replace(comparison, ignore=IgnoreRules.of(wanted.ignore_changes))
    changes = differences(current.spec, wanted.spec, comparison).changes
    apply_changes(document.tree, changes, file_document(current.spec))
    text = document.dump()
    text = _in_layout(old, text)
    ref = WorkflowFileRef(key=wanted.key, path=path, display=wanted.path)
    workflow = load_workflow_text(text, ref, env={}, catalogue=comparison.catalogue)
    if differences(current.spec, workflow.spec, comparison).changes:
        raise InputError(
            f"{wanted.path}: pull could not write the workspace's version into this file "
            "without losing something; nothing was written (please report it)"
        )
    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            text.splitlines(keepends=True),
            wanted.path,
            f"{wanted.path} (the workspace's version)",
        )
    )
    return _Edit(with_line_ends(text, newline), diff, workflow)


def _in_layout(old: str, new: str) -> str:
    """`new` (the edited `old`) in the canonical layout when `old` was (so `fmt --check` still
    passes: a text becoming multi-line, say, takes its mapping out of flow style), else as it is:
    an edit keeps the file's own layout."""
    try:
        return canonical_text(new) if canonical_text(old) == old else new
    except RoundTripError:
        return new


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
            current.updated_at,
        )
        if not verdict.remote_changed:
            continue
        if verdict is Verdict.CONFLICT and not settings.force:
            refused.append(key)
        elif wanted.variables:  # its placeholders, not a literal `$${`
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
            + "; pulling would write their values into it. Edit it by hand (or apply "
            "--refresh-only to keep the remote)" + also
        )
    if refused:
        raise ConflictError(conflicts)
    return pulled
