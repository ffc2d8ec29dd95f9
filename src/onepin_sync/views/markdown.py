"""The Markdown plan view: a pull-request comment (and a CI job summary) that reviews well.

It names the target (environment, base URL, workspace), the git commit and the lockfile serial
the plan was made against; then one collapsible `<details>` section per workflow, riskiest first:

    risk  group                                    shown
    6     conflicts (changed in git and outside)   open
    5     deletes                                  open
    4     creates beside a same-named workflow     collapsed, with the new workflow's content
    3     reverts of changes made outside          collapsed, a `diff` block
    2     creates (new, or missing remotely)       collapsed, with the new workflow's content
    1     updates changed in git                   collapsed, a `diff` block (the PR shows why)

GitHub refuses a comment over 65,536 characters, so the text stays within `limit`: each list
before the sections (drift, moves and forgets, files behind, warnings, unsettled creates) takes
at most an eighth of it and says how many items it left out; when the sections do not fit the
rest, the lowest-risk ones lose their details first (they become one line each), then whole
lines go, lowest risk first; a note at the end says exactly what was cut. Secrets are
masked by the run's `Redactor` (the workspace's side also at its secret places).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from onepin_sync.core.models import Action, Change, Plan, Reason
from onepin_sync.core.redact import Redactor
from onepin_sync.views.human import (
    SYMBOL,
    change_lines,
    duplicates_sentence,
    summary_line,
    unmanaged_sentence,
)
from onepin_sync.views.markdown_content import code, fenced, workflow_content
from onepin_sync.views.notes import (
    behind_sentences,
    lockfile_only_heading,
    lockfile_only_lines,
    no_changes_sentence,
    replacement_sentences,
    targeted_sentence,
)

MAX_CHARS = 60_000
"""The default `limit`: under GitHub's 65,536, with room for what a CI step adds around it."""
_NOTE_ROOM = 1_000  # kept free for the truncation note
_LIST_SHARE = 8  # each list before the sections takes at most limit // _LIST_SHARE characters
_WHOLE_PLAN = "run `onepin-sync plan` (or `plan --json`) for the whole plan"


@dataclass(frozen=True)
class PlanHeading:
    """What the plan was made for and against, for the comment's first lines."""

    api_url: str
    lockfile: str
    serial: int
    new_lockfile: bool = False
    workspace: str | None = None
    environment: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class _Group:
    risk: int
    one: str  # for the truncation note
    many: str  # for headings and the truncation note
    open: bool = False  # shown open; shortened only once the others are all cut


_CONFLICTS = _Group(6, "conflict", "conflicts", open=True)
_DELETES = _Group(5, "delete", "deletes", open=True)
_DUPLICATES = _Group(4, "possible duplicate", "possible duplicates")
_REVERTS = _Group(
    3, "revert of a change made outside onepin-sync", "reverts of changes made outside onepin-sync"
)
_CREATES = _Group(2, "create", "creates")
_UPDATES = _Group(1, "update changed in git", "updates changed in git")


@dataclass(frozen=True)
class _Section:
    group: _Group
    line: str  # the one-line form (a list item)
    full: str  # the collapsible form


def plan_markdown(
    plan: Plan, redactor: Redactor, heading: PlanHeading | None = None, *, limit: int = MAX_CHARS
) -> str:
    """The plan as GitHub-flavoured Markdown of at most `limit` characters."""
    room = limit // _LIST_SHARE
    head = _heading(plan, heading, redactor, room)
    tail = _tail(plan, room)
    sections = sorted(
        (_section(c, redactor) for c in plan.changes), key=lambda s: -s.group.risk
    )  # stable: within a group, the plan's order (by key)
    budget = limit - len(head) - len(tail) - _NOTE_ROOM
    forms = _fit(sections, budget)
    body: list[str] = []
    current: _Group | None = None
    for section, form in zip(sections, forms, strict=True):
        if form is None:
            continue
        if section.group is not current:
            current = section.group
            count = sum(1 for s in sections if s.group is current)
            body.append(f"{_gap(body)}#### {current.many.capitalize()} ({count})\n\n")
        body.append(form)
    note = _truncation_note(sections, forms)
    text = head + "".join(body) + (_gap(body) + note if note else "") + tail
    return text.rstrip("\n") + "\n"


def _gap(blocks: list[str]) -> str:
    """The blank line a block needs after a list (a section shown as one line)."""
    return "\n" if blocks and blocks[-1].startswith("- ") else ""


def _bounded(lines: list[str], room: int, more: Callable[[int], str]) -> list[str]:
    """`lines` within `room` characters, then `more(n)` for the `n` left out."""
    used = 0
    for index, line in enumerate(lines):
        used += len(line) + 1
        if used > room:
            return [*lines[:index], more(len(lines) - index)]
    return lines


def _more_items(left: int) -> str:
    return f"- … and {left} more; {_WHOLE_PLAN}"


def _fit(sections: list[_Section], budget: int) -> list[str | None]:
    """Each section's form within `budget`: full, its line, or None (cut). Detail goes first
    from the lowest-risk sections, then their lines; conflicts and deletes only after all else,
    the same way. Within a group, from its end. Group headings count too."""
    forms: list[str | None] = [s.full for s in sections]
    used = sum(len(s.full) for s in sections) + 60 * len({s.group for s in sections})
    low = [i for i in reversed(range(len(sections))) if not sections[i].group.open]
    high = [i for i in reversed(range(len(sections))) if sections[i].group.open]
    for order, shorten in ((low, True), (low, False), (high, True), (high, False)):
        for index in order:
            if used <= budget:
                return forms
            section = sections[index]
            if shorten:
                used -= len(section.full) - len(section.line)
                forms[index] = section.line
            else:
                used -= len(section.line)
                forms[index] = None
    return forms


def _truncation_note(sections: list[_Section], forms: list[str | None]) -> str:
    shortened: Counter[_Group] = Counter()
    cut: Counter[_Group] = Counter()
    for section, form in zip(sections, forms, strict=True):
        if form is None:
            cut[section.group] += 1
        elif form == section.line:
            shortened[section.group] += 1
    if not shortened and not cut:
        return ""
    parts = []
    if shortened:
        parts.append("details left out for " + _counted(shortened))
    if cut:
        parts.append("not listed: " + _counted(cut))
    return (
        "> [!NOTE]\n> Shortened to fit a GitHub comment, lowest-risk changes first: "
        + "; ".join(parts)
        + f". {_WHOLE_PLAN[0].upper()}{_WHOLE_PLAN[1:]}.\n\n"
    )


def _counted(counts: Counter[_Group]) -> str:
    return ", ".join(f"{n} {group.one if n == 1 else group.many}" for group, n in counts.items())


def _heading(plan: Plan, heading: PlanHeading | None, redactor: Redactor, room: int) -> str:
    title = "### onepin-sync plan"
    if heading is not None and heading.environment:
        title += f": {code(heading.environment)}"
    out = [title, ""]
    if heading is not None:
        out += ["| Target | |", "|---|---|"]
        if heading.environment:
            out.append(f"| Environment | {code(heading.environment)} |")
        out.append(f"| API | {code(heading.api_url)} |")
        out.append(f"| Workspace | {code(heading.workspace) if heading.workspace else '(key)'} |")
        if heading.commit:
            out.append(f"| Commit | {code(heading.commit)} |")
        serial = "new, not written yet" if heading.new_lockfile else f"serial {heading.serial}"
        out += [f"| Lockfile | {code(heading.lockfile)} {serial} |", ""]
    if plan.drift:
        noun = "change" if len(plan.drift) == 1 else "changes"
        out += [f"**Refresh: {len(plan.drift)} {noun} outside onepin-sync.**", ""]
        out += ["| Workflow | What changed |", "|---|---|"]
        rows = [f"| {code(r.key)} | {r.reason.value if r.reason else ''} |" for r in plan.drift]
        out += _bounded(rows, room, lambda left: f"| … | and {left} more; {_WHOLE_PLAN} |")
        out.append("")
    targeted = targeted_sentence(plan)
    if targeted:
        out += [f"> [!NOTE]\n> {html.escape(targeted, quote=False)}", ""]
    if lockfile_only_lines(plan):
        out += [f"**{lockfile_only_heading(plan)}**", ""]
        lines = [f"- {line}" for line in lockfile_only_lines(plan)]
        out += [*_bounded(lines, room, _more_items), ""]
    behind = behind_sentences(plan, redactor)
    if behind:
        out += [f"**{html.escape(behind[0], quote=False)}**", ""]
        out += [*_bounded([f"- {line}" for line in behind[1:]], room, _more_items), ""]
    if not plan.has_changes:
        nothing = no_changes_sentence(plan)
        if nothing:
            first, _, rest = nothing.partition(". ")
            out.append(f"**{first}.** {rest}")
        return "\n".join(out) + "\n"
    out.append(f"**{summary_line(plan)}**")
    warnings = []
    if plan.conflicts:
        warnings.append(
            f"{len(plan.conflicts)} conflict(s): changed in git and outside onepin-sync; "
            "apply refuses them unless --force is given."
        )
    if plan.possible_duplicates:
        warnings.append(duplicates_sentence(plan))
    warnings += replacement_sentences(plan)
    boxes = _bounded(
        [_warning(w) for w in warnings], room, lambda left: _warning(f"… and {left} more warnings")
    )
    out += ["", *boxes]
    return "\n".join(out) + "\n"


def _warning(sentence: str) -> str:
    """A GitHub warning box; a YAML snippet after the first line goes in a code block."""
    first, *rest = html.escape(sentence, quote=False).split("\n")
    snippet = ["> ```yaml", *(f"> {line}" for line in rest), "> ```"] if rest else []
    return "\n".join([f"> [!WARNING]\n> {first}", *snippet]) + "\n"


def _tail(plan: Plan, room: int) -> str:
    out = []
    if plan.pending:
        keys = _bounded([code(k) for k in plan.pending], room, lambda left: f"and {left} more")
        out.append(f"_Not planned until their unanswered creates settle: {', '.join(keys)}._")
    if plan.unmanaged_count:
        out.append(f"_{unmanaged_sentence(plan.unmanaged_count)}_")
    return "".join(f"{line}\n\n" for line in out)


def _group(change: Change) -> _Group:
    if change.reason is Reason.CONFLICT:
        return _CONFLICTS
    if change.action is Action.DELETE:
        return _DELETES
    if change.duplicate_of:
        return _DUPLICATES
    if change.action is Action.CREATE:
        return _CREATES
    return _REVERTS if change.reason is Reason.DRIFT else _UPDATES


def _section(change: Change, redactor: Redactor) -> _Section:
    group = _group(change)
    title = f"{SYMBOL[change.action]} {change.key}"
    why = f"{change.action.value}: {change.reason.value}"
    if change.duplicate_of:
        why += f" (possible duplicate of {', '.join(change.duplicate_of)})"
    if change.replaces:
        why += f" (the same workflow as {change.replaces})"
    line = f"- {code(title)} {why}\n"
    summary = f"<code>{html.escape(title)}</code> {html.escape(why)}"
    opened = " open" if group.open else ""
    body = _body(change, redactor)
    full = f"<details{opened}><summary>{summary}</summary>\n\n" + "\n".join(body)
    full += "\n\n</details>\n\n"
    return _Section(group, line, full)


def _body(change: Change, redactor: Redactor) -> list[str]:
    if change.action is Action.CREATE and change.after is not None:
        return workflow_content(change.after, redactor)
    diff = [_diff_line(line.plain) for line in change_lines(change, redactor)]
    return list(fenced("\n".join(_without_header(diff)), "diff"))


def _without_header(lines: Iterable[str]) -> list[str]:
    """The diff lines without the `# key will be …` line the summary already says."""
    return [line for line in lines if not line.lstrip().startswith("# ")]


def _diff_line(line: str) -> str:
    """Move a change symbol to column 0 so GitHub's diff highlighting colours the line."""
    stripped = line.lstrip()
    if stripped[:1] in {"+", "-", "~"} and not stripped.startswith(("+++", "---")):
        symbol = "!" if stripped[0] == "~" else stripped[0]
        return f"{symbol} {line[1:]}"
    return f"  {line}"
