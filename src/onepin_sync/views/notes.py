"""Sentences about a plan that every view shows the same way (human and Markdown; the JSON
view carries the same facts as fields): a plan narrowed by `--target`/`--exclude`, lockfile-only
moves and forgets, files behind the workspace after `--refresh-only`, and deletes that a create
of the same content would undo. Plain strings, no styling. Views only format."""

from __future__ import annotations

from onepin_sync.core.models import Plan
from onepin_sync.core.redact import Redactor
from onepin_sync.core.renames import moved_entry_text


def lockfile_only_lines(plan: Plan) -> list[str]:
    """One line per move or forget: lockfile-only, nothing is written to Onepin for them."""
    lines = [
        f"{r.moved_from} -> {r.key}: moved (the workflow keeps its id"
        + (f" {r.entry.id}" if r.entry is not None else "")
        + " and its run history)"
        for r in plan.moves
    ]
    lines += [
        f"{r.key}: forgotten (left in Onepin as it is, no longer managed)" for r in plan.forgets
    ]
    return lines


def lockfile_only_heading(plan: Plan) -> str:
    count = len(plan.moves) + len(plan.forgets)
    noun = "entry" if count == 1 else "entries"
    return f"The lockfile will record {count} {noun} without writing to Onepin:"


def replacement_sentences(plan: Plan) -> list[str]:
    """For each delete + create of the same content: what it loses and the `moved:` entry that
    keeps the workflow instead."""
    sentences = []
    for delete in plan.replacements:
        assert delete.replaces is not None
        sentences.append(
            f"{delete.key} and {delete.replaces} hold the same workflow: this plan deletes "
            f"{delete.key} (id {delete.remote_id}, its run history is lost) and creates "
            f"{delete.replaces} anew. If the file was renamed, add to onepin-sync.yaml:\n"
            + moved_entry_text(delete.key, delete.replaces)
        )
    if sentences:
        sentences.append("apply --auto-approve refuses this unless --allow-replace is given.")
    return sentences


def targeted_sentence(plan: Plan) -> str | None:
    """Says that the plan covers only some keys, or None when it covers them all."""
    if not plan.targets and not plan.excludes:
        return None
    given = " ".join(
        [*(f"--target {t}" for t in plan.targets), *(f"--exclude {e}" for e in plan.excludes)]
    )
    return (
        f"Targeted plan ({given}): only the matching workflows were planned; the others may "
        "have changes this plan does not show."
    )


def no_changes_sentence(plan: Plan) -> str | None:
    """The sentence for a plan with nothing to do at all, or None when it has something to
    say instead (drift, lockfile-only steps, files behind the workspace)."""
    if plan.has_changes or plan.drift or plan.moves or plan.forgets or plan.behind:
        return None
    if plan.targets or plan.excludes:
        return "No changes. The targeted workflows in the workspace match their files."
    return "No changes. The workspace matches the workflow files."


def behind_sentences(plan: Plan, redactor: Redactor) -> list[str]:
    """What `pull` would write: the files lack changes `apply --refresh-only` accepted."""
    if not plan.behind:
        return []
    count = len(plan.behind)
    noun = "workflow differs" if count == 1 else "workflows differ"
    lines = [
        f"The workflow files differ from the workspace: {count} {noun} by changes accepted "
        "with --refresh-only. `onepin-sync pull` writes those changes into the files (apply "
        "would not revert them):"
    ]
    for behind in plan.behind:
        paths = ", ".join(redactor.text(".".join(path)) for path in behind.paths)
        lines.append(f"{behind.key}: {paths}")
    return lines
