"""Golden files for the Markdown plan as a pull-request comment: the target it names, a new
workflow's content, riskiest sections first, and the truncation of a plan of 2,000 changes.

    review.md        conflict, delete, possible duplicate, drift revert, create, update; a
                     multi-line script and content trying to break out of its place
    review-2000.md   2,000 changes shortened to fit a GitHub comment

Run with ONEPIN_SYNC_UPDATE_GOLDEN=1 to rewrite the files in tests/views/golden/.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from onepin_sync.commands.provenance import git_commit
from onepin_sync.core.models import (
    Action,
    Change,
    FieldChange,
    Plan,
    Reason,
    StateRefresh,
    WorkflowSpec,
)
from onepin_sync.core.redact import MASK, Redactor
from onepin_sync.views.markdown import MAX_CHARS, PlanHeading, plan_markdown
from tests.core.builders import spec

GOLDEN = Path(__file__).parent / "golden"
SECRET = "s3cr3t-voice-token"
HEADING = PlanHeading(
    api_url="https://api.onepin.ai",
    lockfile="onepin-sync.prod.lock",
    serial=42,
    workspace="ws_prod",
    environment="production",
    commit="0123456789abcdef0123456789abcdef01234567",
)
SCRIPT = "Hello from Northwind.\nYour code is " + SECRET + ".\n```\n</details><!-- hide -->\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ONEPIN_SYNC_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; rerun with ONEPIN_SYNC_UPDATE_GOLDEN=1 if intended"


def _scripted(name: str, text: str) -> WorkflowSpec:
    value = spec(name=name, description="Calls | new `customers`")
    graph = value.definition["graph"]
    nodes = [
        {**n, "name": "Intro *bold*", "config": {"script_text": text, "source_language": "en"}}
        if n["id"] == "script"
        else n
        for n in graph["nodes"]
    ]
    return value.model_copy(update={"definition": {"graph": {**graph, "nodes": nodes}}})


def _update(key: str, reason: Reason, before: str, after: str) -> Change:
    return Change(
        key=key,
        action=Action.UPDATE,
        reason=reason,
        remote_id=f"id-{key}",
        before=spec(name=key, description=before),
        after=spec(name=key, description=after),
        patch_fields=("description",),
        field_changes=(FieldChange(path=("description",), before=before, after=after),),
    )


def _create(key: str, text: str, duplicate_of: tuple[str, ...] = ()) -> Change:
    return Change(
        key=key,
        action=Action.CREATE,
        reason=Reason.NEW,
        after=_scripted(f"Workflow {key}", text),
        duplicate_of=duplicate_of,
    )


def _delete(key: str) -> Change:
    return Change(
        key=key,
        action=Action.DELETE,
        reason=Reason.REMOVED_FROM_CONFIG,
        remote_id=f"id-{key}",
        before=spec(name=f"Old {key}"),
    )


def _review_plan() -> Plan:
    changes = (
        _create("marketing/launch", SCRIPT),
        _create("support/again", "Hi.", duplicate_of=("id-dup",)),
        _update("support/both", Reason.CONFLICT, "web edit", "git edit"),
        _update("support/drifted", Reason.DRIFT, "web edit", "Greets"),
        _update("support/kept", Reason.CHANGED_IN_GIT, "Greets", "Greets you"),
        _delete("old/retired"),
    )
    return Plan(changes=changes, lineage="lineage-1", serial=42, unmanaged_count=3)


def test_review_golden_names_the_target_and_puts_the_riskiest_first() -> None:
    text = plan_markdown(_review_plan(), Redactor([SECRET]), HEADING)
    _check("review.md", text)
    order = [
        text.index(f"<code>{s}") for s in ("~ support/both", "- old/retired", "+ support/again")
    ]
    assert order == sorted(order)
    assert text.index("~ support/drifted") < text.index("+ marketing/launch")
    assert text.index("+ marketing/launch") < text.index("~ support/kept")
    assert SECRET not in text
    assert MASK in text
    # The hostile script stays inside its fence: a longer fence than any backtick run inside.
    assert "````text\nHello from Northwind." in text


def _big_plan() -> Plan:
    script = "\n".join(f"Line {n} of the welcome script, read aloud." for n in range(12))
    changes = []
    for n in range(2000):
        key = f"team-{n % 20:02d}/wf-{n:04d}"
        if n % 400 == 0:
            changes.append(_update(key, Reason.CONFLICT, "web", "git"))
        elif n % 100 == 1:
            changes.append(_delete(key))
        elif n % 3 == 0:
            changes.append(_create(key, script + SECRET))
        elif n % 3 == 1:
            changes.append(_update(key, Reason.DRIFT, "edited in the app", "as in git"))
        else:
            changes.append(_update(key, Reason.CHANGED_IN_GIT, "old text", "new text"))
    ordered = sorted(changes, key=lambda c: (list(Action).index(c.action), c.key))
    return Plan(changes=tuple(ordered), lineage="lineage-1", serial=42)


def test_a_plan_of_2000_changes_is_shortened_lowest_risk_first() -> None:
    plan = _big_plan()
    redactor = Redactor([SECRET])
    text = plan_markdown(plan, redactor, HEADING)
    _check("review-2000.md", text)
    assert len(text) <= MAX_CHARS
    assert len(plan_markdown(plan, redactor, HEADING, limit=10**9)) > 10 * MAX_CHARS
    assert SECRET not in text
    # Conflicts and deletes keep their details; the updates changed in git go first.
    assert text.count("<details open>") == 5 + 20
    assert "Plan: 659 to create, 1321 to update, 20 to delete." in text
    note = text[text.index("> [!NOTE]") :]
    assert "not listed: 212 creates, 658 updates changed in git" in note
    assert "details left out for 658 reverts of changes made outside onepin-sync" in note
    assert "<code>~ team-02/wf-0002</code>" not in text


def test_a_limit_only_shortens_what_it_must() -> None:
    plan = _review_plan()
    full = plan_markdown(plan, Redactor([SECRET]), HEADING)
    assert "[!NOTE]" not in full
    shorter = plan_markdown(plan, Redactor([SECRET]), HEADING, limit=len(full) + 900)
    note = shorter[shorter.index("> [!NOTE]") :]
    assert "details left out for 1 create, 1 update changed in git." in note
    assert "not listed" not in note
    assert "<code>- old/retired</code>" in shorter


def test_the_commit_comes_from_ci_or_git(tmp_path: Path) -> None:
    assert git_commit({"GITHUB_SHA": "abc123"}, tmp_path) == "abc123"
    assert git_commit({"CI_COMMIT_SHA": "def456"}, tmp_path) == "def456"
    assert git_commit({}, tmp_path) is None  # not a repository: no git started
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "HOME": str(tmp_path)}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "PATH": os.environ["PATH"]}
    for argv in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *argv], cwd=tmp_path, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / "sub").mkdir()
    assert git_commit({}, tmp_path / "sub") == head


def test_the_lists_before_the_sections_are_bounded_too() -> None:
    """A workspace edited in bulk in the app (every workflow drifted), a folder renamed without
    `moved:` entries: the lists before the changes say how many they left out, and the comment
    still fits."""
    keys = [f"team-{n % 20:02d}/workflow-with-a-long-name-{n:05d}" for n in range(4000)]
    drift = [StateRefresh(key=k, entry=None, reason=Reason.DRIFT) for k in keys]
    forgets = [StateRefresh(key=f"old/{k}", entry=None, reason=Reason.FORGOTTEN) for k in keys]
    replaced = [
        _delete(f"old/{k}").model_copy(update={"replaces": k, "remote_id": f"id-{n}"})
        for n, k in enumerate(keys)
    ]
    plan = Plan(
        changes=(_update(keys[0], Reason.CONFLICT, "web", "git"), *replaced),
        refreshes=(*drift, *forgets),
        pending=tuple(f"new/{k}" for k in keys),
        lineage="lineage-1",
        serial=42,
    )

    text = plan_markdown(plan, Redactor([SECRET]), HEADING)

    assert len(text) <= MAX_CHARS
    assert "| … | and " in text
    assert "- … and " in text
    assert "more warnings" in text
    assert "_Not planned until their unanswered creates settle: " in text
    assert f"`~ {keys[0]}` update: changed in git and outside onepin-sync" in text
