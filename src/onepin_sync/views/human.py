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

SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.IMPORT: "<="}
_STYLE = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE: "red",
    Action.IMPORT: "cyan",
}
_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.DELETE: "will be deleted",
    Action.IMPORT: "will be imported into a new workflow file",
}
_LONG_TEXT = 60  # strings longer than this (or multi-line) are shown as a unified diff


def format_path(path: tuple[str, ...]) -> str:
    """`("definition", "graph", "nodes[gen]", "config")` -> `definition.graph.nodes[gen].config`."""
    return ".".join(path)


def summary_line(plan: Plan) -> str:
    imports = plan.count(Action.IMPORT)
    if imports:
        return f"Plan: {imports} to import (workflow files written; nothing sent to Onepin)."
    return (
        f"Plan: {plan.count(Action.CREATE)} to create, {plan.count(Action.UPDATE)} to update, "
        f"{plan.count(Action.DELETE)} to delete."
    )


def render_plan(plan: Plan, console: Console, redactor: Redactor) -> None:
    """Print the human plan, as one text: a print per line would ask the terminal its size and
    kind once per line, thousands of times for a few hundred changes. Off a terminal without
    colours (CI, a pipe) there is nothing to style: the lines' plain text is written as it is,
    without joining their styles into one text first, which costs a fraction of rich's rendering
    (the plan shown before an apply sits on its critical path; a first plan of 10,000 workflows
    has 300,000 lines)."""
    lines = plan_lines(plan, redactor)
    if _plain(console):
        console.file.write("".join(f"{line.plain}\n" for line in lines))
    else:
        console.print(Text("\n").join(lines))


def print_text(console: Console, text: Text) -> None:
    """`console.print(text)`, without rich's renderer when there is nothing for it to do."""
    if _plain(console):
        console.file.write(text.plain + "\n")
    else:
        console.print(text)


def _plain(console: Console) -> bool:
    """Whether `console` shows text as it is: no colours, no recording, and no terminal (where
    a live progress bar may share the screen)."""
    return console.color_system is None and not console.record and not console.is_terminal


def plan_lines(plan: Plan, redactor: Redactor) -> Iterator[Text]:
    """The lines of the human plan, styled, without their newlines."""
    if plan.drift:
        yield from _drift_lines(plan)
    targeted = targeted_sentence(plan)
    if targeted:
        yield Text(targeted, style="bold yellow")
    yield from _pending_lines(plan)
    yield from _lockfile_only_lines(plan)
    yield from _behind_lines(plan, redactor)
    if not plan.has_changes:
        nothing = no_changes_sentence(plan)
        if nothing:
            yield Text(nothing, style="bold")
        if plan.refreshes:
            yield Text(f"The lockfile will record {len(plan.refreshes)} refreshed entries.")
        yield from _unmanaged_lines(plan)
        return
    yield Text("onepin-sync will perform the following actions:\n")
    for change in plan.changes:
        yield from change_lines(change, redactor)
        yield Text()
    yield Text(summary_line(plan), style="bold")
    if plan.conflicts:
        yield Text(
            f"{len(plan.conflicts)} conflict(s): changed in git and outside onepin-sync; "
            "apply refuses them unless --force is given.",
            style="bold red",
        )
    if plan.possible_duplicates:
        yield Text(duplicates_sentence(plan), style="bold red")
    for sentence in replacement_sentences(plan):
        yield Text(sentence, style="bold red")
    yield from _unmanaged_lines(plan)


def _behind_lines(plan: Plan, redactor: Redactor) -> Iterator[Text]:
    first, *rest = behind_sentences(plan, redactor) or [""]
    if first:
        yield Text(first, style="bold yellow")
        for line in rest:
            yield Text(f"  < {line}")
        yield Text()


def duplicates_sentence(plan: Plan) -> str:
    """What to do about creates beside an unmanaged workflow of the same name."""
    first = plan.possible_duplicates[0]
    return (
        f"{len(plan.possible_duplicates)} create(s) beside an unmanaged workflow of the same "
        "name: if the lockfile lost track of them, adopt them instead, e.g. "
        f"`onepin-sync import {first.duplicate_of[0]} --key {first.key}`; apply --auto-approve "
        "refuses them unless --allow-duplicates is given."
    )


def _lockfile_only_lines(plan: Plan) -> Iterator[Text]:
    lines = lockfile_only_lines(plan)
    if lines:
        yield Text(lockfile_only_heading(plan) + "\n")
        for line in lines:
            yield Text(f"  > {line}")
        yield Text()


def _pending_lines(plan: Plan) -> Iterator[Text]:
    if plan.pending:
        yield Text(
            f"Not planned until their unanswered creates settle: {', '.join(plan.pending)}.",
            style="yellow",
        )


def _drift_lines(plan: Plan) -> Iterator[Text]:
    yield Text("Changes made outside onepin-sync (apply --refresh-only records them):\n")
    for refresh in plan.drift:
        symbol, style = ("-", "red") if refresh.entry is None else ("~", "yellow")
        line = Text(f"  {symbol} ", style=style)
        line.append(refresh.key, style="bold")
        line.append(f" {refresh.reason.value if refresh.reason else ''}")
        yield line
    noun = "change" if len(plan.drift) == 1 else "changes"
    yield Text(f"\nRefresh: {len(plan.drift)} {noun} outside onepin-sync.", style="bold")


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
    elif change.action is Action.IMPORT and change.after is not None:
        graph = change.after.definition.get("graph")
        graph = graph if isinstance(graph, Mapping) else {}
        counts = f"{len(graph.get('nodes') or [])} nodes, {len(graph.get('edges') or [])} edges"
        yield _line("<=", "cyan", f"file {change.key}.yaml ({counts})")
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


def _unmanaged_lines(plan: Plan) -> Iterator[Text]:
    if plan.unmanaged_count:
        yield Text(unmanaged_sentence(plan.unmanaged_count), style="dim")


def unmanaged_sentence(count: int) -> str:
    noun = "workflow" if count == 1 else "workflows"
    return f"{count} unmanaged {noun} in the workspace (not in the lockfile) left untouched."
