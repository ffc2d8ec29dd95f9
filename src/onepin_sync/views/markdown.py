"""The Markdown plan view, for a pull-request comment: a summary table, then the details of
every change in a collapsed `diff` block (GitHub colours `+`, `-` and `!` lines)."""

from __future__ import annotations

from onepin_sync.core.models import Plan
from onepin_sync.core.redact import Redactor
from onepin_sync.views.human import (
    SYMBOL,
    change_lines,
    duplicates_sentence,
    summary_line,
    unmanaged_sentence,
)
from onepin_sync.views.notes import (
    lockfile_only_heading,
    lockfile_only_lines,
    replacement_sentences,
)


def plan_markdown(plan: Plan, redactor: Redactor) -> str:
    """The plan as GitHub-flavoured Markdown, for a pull-request comment."""
    out = ["### onepin-sync plan", ""]
    if plan.drift:
        noun = "change" if len(plan.drift) == 1 else "changes"
        out += [f"**Refresh: {len(plan.drift)} {noun} outside onepin-sync.**", ""]
        out += ["| Workflow | What changed |", "|---|---|"]
        out += [f"| `{r.key}` | {r.reason.value if r.reason else ''} |" for r in plan.drift]
        out.append("")
    if lockfile_only_lines(plan):
        out += [f"**{lockfile_only_heading(plan)}**", ""]
        out += [f"- {line}" for line in lockfile_only_lines(plan)] + [""]
    if not plan.has_changes:
        if not plan.drift and not lockfile_only_lines(plan):
            out.append("**No changes.** The workspace matches the workflow files.")
    else:
        out += [f"**{summary_line(plan)}**", ""]
        out += ["| | Workflow | Action | Reason |", "|---|---|---|---|"]
        for change in plan.changes:
            symbol = SYMBOL[change.action]
            reason = change.reason.value
            if change.duplicate_of:
                reason += f" **(possible duplicate of {', '.join(change.duplicate_of)})**"
            out.append(f"| `{symbol}` | `{change.key}` | {change.action.value} | {reason} |")
        out += ["", "<details><summary>Details</summary>", "", "```diff"]
        for change in plan.changes:
            out += [_diff_line(line.plain) for line in change_lines(change, redactor)]
            out.append("")
        out += ["```", "", "</details>"]
        if plan.possible_duplicates:
            out += ["", f"**{duplicates_sentence(plan)}**"]
        for sentence in replacement_sentences(plan):
            out += ["", *_quoted(sentence)]
    if plan.pending:
        out += [
            "",
            f"_Not planned until their unanswered creates settle: {', '.join(plan.pending)}._",
        ]
    if plan.unmanaged_count:
        out += ["", f"_{unmanaged_sentence(plan.unmanaged_count)}_"]
    return "\n".join(out) + "\n"


def _quoted(sentence: str) -> list[str]:
    """A multi-line note (a YAML snippet after its first line) as Markdown."""
    first, *rest = sentence.split("\n")
    return [f"**{first}**", *(["", "```yaml", *rest, "```"] if rest else [])]


def _diff_line(line: str) -> str:
    """Move a change symbol to column 0 so GitHub's diff highlighting colours the line."""
    stripped = line.lstrip()
    if stripped[:1] in {"+", "-", "~"} and not stripped.startswith(("+++", "---")):
        symbol = "!" if stripped[0] == "~" else stripped[0]
        return f"{symbol} {line[1:]}"
    return f"  {line}"
