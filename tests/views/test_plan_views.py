"""Golden files for the human, Markdown and JSON plan views.

Run with ONEPIN_SYNC_UPDATE_GOLDEN=1 to rewrite the files in tests/views/golden/ after an intended
change of output; review the diff before committing it.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from onepin_sync.core.models import Plan
from onepin_sync.core.plan_document import PlanTarget, plan_document, read_plan_document
from onepin_sync.core.planner import plan_changes
from onepin_sync.core.redact import MASK, Redactor
from onepin_sync.views.human import render_plan
from onepin_sync.views.markdown import plan_markdown
from tests.core.builders import desired, entry, lockfile, migrated, remote, remote_state, spec

GOLDEN = Path(__file__).parent / "golden"
SECRET = "hunter2-token-value"
LONG_BEFORE = "Welcome to Acme.\nYour account is ready.\nCall us any time."
LONG_AFTER = "Welcome to Acme!\nYour account is ready.\nCall us any time.\nGoodbye."


def _plan() -> Plan:
    kept = spec(name="Kept", description=LONG_BEFORE)
    edited = spec(name="Kept (v2)", description=LONG_AFTER, extra_node=True, speed=1.25)
    drifted_before = remote(migrated(spec(name="Drifted")), "id-d")
    drifted_remote = remote(  # edited in the web app later: its updated_at moved
        migrated(spec(name="Drifted", description="web edit")), wid="id-d", age=5
    )
    gone = remote(migrated(spec(name="Retired")), wid="id-r")
    r_kept = remote(migrated(kept), wid="id-k")
    state = lockfile(
        support__kept=entry(kept, r_kept),
        support__drifted=entry(spec(name="Drifted"), drifted_before),
        old__retired=entry(spec(name="Retired"), gone),
    )
    new = spec(name="Launch promo", description=f"uses {SECRET}")
    want = desired(
        ("support/kept", edited),
        ("support/drifted", spec(name="Drifted")),
        ("marketing/launch", new),
    )
    unmanaged = remote(migrated(spec(name="Hand-made")), wid="id-u")
    return plan_changes(want, remote_state(r_kept, drifted_remote, gone, unmanaged), state)


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ONEPIN_SYNC_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; rerun with ONEPIN_SYNC_UPDATE_GOLDEN=1 if intended"


def _human(plan: Plan) -> str:
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None, highlight=False, soft_wrap=True)
    render_plan(plan, console, Redactor([SECRET]))
    return out.getvalue()


def test_human_plan_golden() -> None:
    _check("plan.txt", _human(_plan()))


def test_a_coloured_plan_says_exactly_what_the_plain_one_says() -> None:
    """The plain plan skips rich's renderer; with colours rich renders the same lines."""
    out = io.StringIO()
    console = Console(
        file=out, width=100, color_system="truecolor", force_terminal=True, soft_wrap=True
    )
    render_plan(_plan(), console, Redactor([SECRET]))

    coloured = out.getvalue()
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == _human(_plan())


def test_markdown_plan_golden() -> None:
    _check("plan.md", plan_markdown(_plan(), Redactor([SECRET])))


def test_json_plan_golden_and_round_trip() -> None:
    target = PlanTarget(api_url="https://api.onepin.ai", lockfile="onepin-sync.lock")
    doc = plan_document(_plan(), target, Redactor([SECRET]), tool_version="VERSION")
    text = json.dumps(doc.to_json(), indent=2, sort_keys=True) + "\n"
    _check("plan.json", text)
    plan, read_doc = read_plan_document(json.loads(text), "plan.json")
    assert read_doc.target == target
    original = _plan()
    assert [(c.key, c.action, c.patch_fields, c.applied_hash) for c in plan.changes] == [
        (c.key, c.action, c.patch_fields, c.applied_hash) for c in original.changes
    ]


def test_no_changes_says_so() -> None:
    kept = spec()
    r_kept = remote(migrated(kept))
    plan = plan_changes(desired(("k", kept)), remote_state(r_kept), lockfile(k=entry(kept, r_kept)))
    assert _human(plan) == "No changes. The workspace matches the workflow files.\n"


@pytest.mark.parametrize("view", ["human", "markdown", "json"])
def test_secret_values_never_appear(view: str) -> None:
    plan = _plan()
    if view == "human":
        text = _human(plan)
    elif view == "markdown":
        text = plan_markdown(plan, Redactor([SECRET]))
    else:
        target = PlanTarget(api_url="x", lockfile="y")
        text = json.dumps(
            plan_document(plan, target, Redactor([SECRET]), tool_version="V").to_json()
        )
    assert SECRET not in text
    assert MASK in text
