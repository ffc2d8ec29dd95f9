"""Adopting unmanaged workflows: which ones, under which keys, as a plan of `import` actions.

- `unmanaged(listing, state)`: the listed workflows the lockfile does not manage, by id.
- `candidate_key(template, workflow)`: the key a workflow would get. The template names a path
  under the workflows folder with `{slug}` (the name in lower-case words joined by `-`, accents
  dropped, at most 60 characters; `workflow-<id8>` when the name has no Latin letter or digit),
  `{id}` and `{id8}` (the first eight characters of the id), e.g. `imported/{slug}` or
  `{slug}-{id8}`.
- `plan_imports(...)`: one `Change(action=IMPORT)` per chosen workflow, sorted by key, with the
  remote spec as `after` (what its file will hold) and the `updated_at` seen (a saved import
  plan is refused when a workflow changed since). Refused as a whole, with every candidate
  listed, when a key is already managed, already has a file, or is wanted by two workflows.

Pure: no IO.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence

from onepin_sync.core.keys import key_problem, quoted
from onepin_sync.core.models import Action, Change, Plan, Reason, RemoteWorkflow, StateFile
from onepin_sync.errors import InputError

DEFAULT_TEMPLATE = "{slug}"
_PLACEHOLDERS = frozenset({"slug", "id", "id8"})


def slug(name: str, workflow_id: str) -> str:
    """A file name from a workflow name: lower-case words joined by '-', accented Latin letters
    written without their accents (`Über` -> `uber`); from the id if no letter or digit is left."""
    latin = unicodedata.normalize("NFKD", name.lower().translate(_LETTERS))
    plain = "".join(c for c in latin if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].rstrip("-")
    return text or f"workflow-{workflow_id[:8]}"


# Latin letters that are no letter plus an accent, so NFKD leaves them as they are.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})


def check_template(template: str) -> None:
    """Refuse a `--dir-template` with unknown placeholders, or one that cannot make a key."""
    names = set(re.findall(r"\{([^{}]*)\}", template))
    unknown = sorted(names - _PLACEHOLDERS)
    if unknown or not names:
        raise InputError(
            f"--dir-template {template!r}: use {{slug}}, {{id}} and {{id8}} "
            "(for example 'imported/{slug}')"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )


def candidate_key(template: str, workflow: RemoteWorkflow) -> str:
    """The key `workflow` would be imported under (see the module docstring)."""
    values = {"slug": slug(workflow.name, workflow.id), "id": workflow.id, "id8": workflow.id[:8]}
    key = template
    for name, value in values.items():
        key = key.replace("{" + name + "}", value)
    return key


def unmanaged(listing: Iterable[RemoteWorkflow], state: StateFile) -> list[RemoteWorkflow]:
    """The listed workflows the lockfile does not manage, sorted by name then id."""
    managed = {entry.id for entry in state.workflows.values()}
    return sorted((w for w in listing if w.id not in managed), key=lambda w: (w.name, w.id))


def matching(workflows: Iterable[RemoteWorkflow], name_glob: str | None) -> list[RemoteWorkflow]:
    """The workflows whose name matches the shell-style `name_glob` (any case), or all."""
    if name_glob is None:
        return list(workflows)
    pattern = name_glob.lower()
    return [w for w in workflows if fnmatch.fnmatchcase(w.name.lower(), pattern)]


def plan_imports(
    chosen: Sequence[tuple[str, RemoteWorkflow]],
    state: StateFile,
    files: Collection[str],
    *,
    unmanaged_count: int,
) -> Plan:
    """The plan importing each (key, workflow) of `chosen` (`unmanaged_count`: the unmanaged
    workflows it leaves unmanaged); InputError listing every refused
    candidate when a key is invalid, managed, has a file (`files`) or is wanted twice."""
    by_key: dict[str, list[RemoteWorkflow]] = {}
    for key, workflow in chosen:
        by_key.setdefault(key, []).append(workflow)
    problems = []
    for key, workflows in sorted(by_key.items()):
        shown = ", ".join(f"{w.id} {w.name!r}" for w in workflows)
        why = key_problem(key)
        if why is not None:
            problems.append(f"{quoted(key)} is not a valid key: {why} ({shown})")
        elif len(workflows) > 1:
            problems.append(f"{key} would be the key of {len(workflows)} workflows: {shown}")
        elif key in state.workflows:
            problems.append(f"{key} is already managed (id {state.workflows[key].id}): {shown}")
        elif key in files:
            problems.append(f"{key} already has a workflow file: {shown}")
    if problems:
        raise InputError(
            "cannot import: "
            + "; ".join(problems)
            + ". Nothing was written. Use --dir-template '{slug}-{id8}' (or another template), "
            "narrow the choice with --search or --name-glob, or import one workflow with "
            "`onepin-sync import ID --key KEY`"
        )
    changes = tuple(
        Change(
            key=key,
            action=Action.IMPORT,
            reason=Reason.UNMANAGED,
            remote_id=workflow.id,
            remote_updated_at=workflow.updated_at,
            after=workflow.spec,
        )
        for key, workflow in sorted(chosen, key=lambda pair: pair[0])
    )
    return Plan(
        changes=changes,
        unmanaged_count=unmanaged_count,
        managed_count=len(state.workflows),
        lineage=state.lineage,
        serial=state.serial,
    )


def stale_imports(plan: Plan, listed: Mapping[str, RemoteWorkflow]) -> dict[str, str]:
    """Imports whose workflow is gone or changed since the plan was made, with why."""
    stale = {}
    for change in plan.changes:
        if change.action is not Action.IMPORT or change.remote_id is None:
            continue
        current = listed.get(change.remote_id)
        if current is None:
            stale[change.key] = f"workflow {change.remote_id} is gone"
        elif current.updated_at != change.remote_updated_at:
            stale[change.key] = f"workflow {change.remote_id} changed since the plan"
    return stale
