"""The human plan view: Terraform-like text on a rich console.

Views only format: they never decide anything. Every user-supplied string goes through the
`Redactor` and is inserted as plain text (never as rich markup); what the workspace holds (the
old side of a change) is also masked at the secret places of its key. The Markdown view reuses
`change_lines` and `summary_line` from here.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping

from rich.console import Console
from rich.text import Text

from onepin_sync.core.models import Action, Change, FieldChange, Json, Plan, Reason, WorkflowSpec
from onepin_sync.core.redact import Redactor
from onepin_sync.views.notes import (
    behind_sentences,
    lockfile_only_heading,
    lockfile_only_lines,
    no_changes_sentence,
    replacement_sentences,
    targeted_sentence,
)

SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_STYLE = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.DELETE: "will be deleted",
}
_LONG_TEXT = 60  # strings longer than this (or multi-line) are shown as a unified diff


def format_path(path: tuple[str, ...]) -> str:
    """`("definition", "graph", "nodes[gen]", "config")` -> `definition.graph.nodes[gen].config`."""
    return ".".join(path)


def summary_line(plan: Plan) -> str:
    return (
        f"Plan: {plan.count(Action.CREATE)} to create, {plan.count(Action.UPDATE)} to update, "
        f"{plan.count(Action.DELETE)} to delete."
    )


def render_plan(plan: Plan, console: Console, redactor: Redactor) -> None:
    """Print the human plan."""
    if plan.drift:
        _print_drift(plan, console)
    targeted = targeted_sentence(plan)
    if targeted:
        console.print(Text(targeted, style="bold yellow"))
    _print_pending(plan, console)
    _print_lockfile_only(plan, console)
    _print_behind(plan, console, redactor)
    if not plan.has_changes:
        nothing = no_changes_sentence(plan)
        if nothing:
            console.print(Text(nothing, style="bold"))
        if plan.refreshes:
            console.print(f"The lockfile will record {len(plan.refreshes)} refreshed entries.")
        _print_unmanaged(plan, console)
        return
    console.print("onepin-sync will perform the following actions:\n")
    for change in plan.changes:
        for line in change_lines(change, redactor):
            console.print(line)
        console.print()
    console.print(Text(summary_line(plan), style="bold"))
    if plan.conflicts:
        console.print(
            Text(
                f"{len(plan.conflicts)} conflict(s): changed in git and outside onepin-sync; "
                "apply refuses them unless --force is given.",
                style="bold red",
            )
        )
    if plan.possible_duplicates:
        console.print(Text(duplicates_sentence(plan), style="bold red"))
    for sentence in replacement_sentences(plan):
        console.print(Text(sentence, style="bold red"))
    _print_unmanaged(plan, console)


def _print_behind(plan: Plan, console: Console, redactor: Redactor) -> None:
    first, *rest = behind_sentences(plan, redactor) or [""]
    if first:
        console.print(Text(first, style="bold yellow"))
        for line in rest:
            console.print(Text(f"  < {line}"))
        console.print()


def _print_lockfile_only(plan: Plan, console: Console) -> None:
    lines = lockfile_only_lines(plan)
    if lines:
        console.print(lockfile_only_heading(plan) + "\n")
        for line in lines:
            console.print(Text(f"  > {line}"))
        console.print()


def duplicates_sentence(plan: Plan) -> str:
    """What to do about creates beside an unmanaged workflow of the same name."""
    first = plan.possible_duplicates[0]
    return (
        f"{len(plan.possible_duplicates)} create(s) beside an unmanaged workflow of the same "
        "name: if the lockfile lost track of them, adopt them instead, e.g. "
        f"`onepin-sync import {first.duplicate_of[0]} {first.key}`; apply --auto-approve "
        "refuses them unless --allow-duplicates is given."
    )


def _print_pending(plan: Plan, console: Console) -> None:
    if plan.pending:
        console.print(
            Text(
                f"Not planned until their unanswered creates settle: {', '.join(plan.pending)}.",
                style="yellow",
            )
        )


def _print_drift(plan: Plan, console: Console) -> None:
    console.print("Changes made outside onepin-sync (apply --refresh-only records them):\n")
    for refresh in plan.drift:
        symbol, style = ("-", "red") if refresh.entry is None else ("~", "yellow")
        line = Text(f"  {symbol} ", style=style)
        line.append(refresh.key, style="bold")
        line.append(f" {refresh.reason.value if refresh.reason else ''}")
        console.print(line)
    noun = "change" if len(plan.drift) == 1 else "changes"
    console.print(Text(f"\nRefresh: {len(plan.drift)} {noun} outside onepin-sync.", style="bold"))


def change_lines(change: Change, redactor: Redactor) -> Iterator[Text]:
    """The lines describing one change, styled, without a trailing blank line."""
    style = _STYLE[change.action]
    symbol = SYMBOL[change.action]
    reason_style = "bold red" if change.reason is Reason.CONFLICT else "dim"
    header = Text("  # ")
    header.append(change.key, style="bold")
    header.append(f" {_VERB[change.action]} ")
    header.append(f"({change.reason.value})", style=reason_style)
    if change.duplicate_of:
        header.append(
            f" (possible duplicate of {', '.join(change.duplicate_of)})", style="bold red"
        )
    if change.replaces:
        other = "created as" if change.action is Action.DELETE else "deleted as"
        header.append(f" (same workflow {other} {change.replaces})", style="bold red")
    yield header
    title = Text(f"  {symbol} ", style=style)
    title.append(change.key, style="bold")
    if change.after is not None:
        title.append(f"  {_quote(redactor.text(change.after.name))}")
    elif change.before is not None:  # the workspace's name: it may hold a secret by place
        title.append(
            f"  {_quote(redactor.remote_field(change.key, ('name',), change.before.name))}"
        )
    if change.remote_id:
        title.append(f"  id={change.remote_id}", style="dim")
    yield title
    if change.action is Action.CREATE and change.after is not None:
        yield from _created_lines(change.after, redactor)
    elif change.action is Action.UPDATE:
        for field_change in change.field_changes:
            yield from _field_lines(change.key, field_change, redactor)
        if change.server_added:
            added = ", ".join(redactor.text(format_path(path)) for path in change.server_added)
            yield Text(f"        (added by the server, kept as it is: {added})", style="dim")


def _created_lines(spec: WorkflowSpec, redactor: Redactor) -> Iterator[Text]:
    yield _line("+", "green", f"name: {_value(spec.name, redactor)}")
    if spec.description is not None:
        yield _line("+", "green", f"description: {_value(spec.description, redactor)}")
    graph = spec.definition.get("graph")
    graph = graph if isinstance(graph, Mapping) else {}
    nodes = [n for n in graph.get("nodes") or [] if isinstance(n, Mapping)]
    edges = [e for e in graph.get("edges") or [] if isinstance(e, Mapping)]
    yield _line("+", "green", f"nodes ({len(nodes)}):")
    for node in nodes:
        label = f"{redactor.text(str(node.get('id')))} ({node.get('type')})"
        yield Text(f"          + {label}", style="green")
    yield _line("+", "green", f"edges ({len(edges)}):")
    for edge in edges:
        flow = (
            f"{edge.get('source')}.{edge.get('sourcePort')} -> "
            f"{edge.get('target')}.{edge.get('targetPort')}"
        )
        yield Text(f"          + {redactor.text(flow)}", style="green")


def _field_lines(key: str, change: FieldChange, redactor: Redactor) -> Iterator[Text]:
    """One changed field; the workspace's side masked also at the key's secret places."""
    path = redactor.text(format_path(change.path))
    if not change.before_present:
        yield _line("+", "green", f"{path}: {_shown(redactor.json(change.after))}")
    elif not change.after_present:
        removed = redactor.remote_field(key, change.path, change.before)
        yield _line("-", "red", f"{path}: {_shown(removed)}")
    else:
        # Masked whole where the new side holds a secret too: a rotated secret's old value.
        before = redactor.remote_field(key, change.path, change.before, change.after)
        after = redactor.json(change.after)
        if _is_long_text(before) or _is_long_text(after):
            yield _line("~", "yellow", f"{path}:")
            yield from _text_diff(str(before or ""), str(after or ""))
        else:
            yield _line("~", "yellow", f"{path}: {_shown(before)} -> {_shown(after)}")


def _text_diff(before: str, after: str) -> Iterator[Text]:
    """A unified diff of two masked texts."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    for line in list(lines)[2:]:  # drop the ---/+++ headers
        style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
        yield Text(f"          {line}", style=style)


def _line(symbol: str, style: str, body: str) -> Text:
    text = Text(f"      {symbol} ", style=style)
    text.append(body)
    return text


def _is_long_text(value: Json) -> bool:
    return isinstance(value, str) and (len(value) > _LONG_TEXT or "\n" in value)


def _value(value: Json, redactor: Redactor) -> str:
    return _shown(redactor.json(value))


def _shown(masked: Json) -> str:
    return json.dumps(masked, ensure_ascii=False, separators=(", ", ": "))


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _print_unmanaged(plan: Plan, console: Console) -> None:
    if plan.unmanaged_count:
        console.print(Text(unmanaged_sentence(plan.unmanaged_count), style="dim"))


def unmanaged_sentence(count: int) -> str:
    noun = "workflow" if count == 1 else "workflows"
    return f"{count} unmanaged {noun} in the workspace (not in the lockfile) left untouched."
