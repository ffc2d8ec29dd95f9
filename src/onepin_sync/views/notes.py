"""Sentences about a plan that every view shows the same way (human and Markdown; the JSON
view carries the same facts as fields): lockfile-only moves and forgets, and deletes that a
create of the same content would undo. Plain strings, no styling. Views only format."""

from __future__ import annotations

from onepin_sync.core.models import Plan
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
