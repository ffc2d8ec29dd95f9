"""Golden plan views of secrets the files no longer name: the workspace still holds them where the
lockfile says the last apply put them, and every view masks them there.

    support/rotated   `${secret.OLD}` became `${secret.NEW}`; the node holding it was renamed
    support/literal   the name held a secret, now a literal
    old/removed       its file (a secret in its name and script) is gone

Run with ONEPIN_SYNC_UPDATE_GOLDEN=1 to rewrite the files in tests/views/golden/.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from rich.console import Console

from onepin_sync.core.models import Plan, WorkflowSpec
from onepin_sync.core.plan_document import PlanTarget, plan_document
from onepin_sync.core.planner import plan_changes
from onepin_sync.core.redact import Redactor, secret_places
from onepin_sync.views.human import render_plan
from onepin_sync.views.markdown import plan_markdown
from tests.core.builders import desired, entry, lockfile, migrated, remote, remote_state, spec

GOLDEN = Path(__file__).parent / "golden"
OLD = "old-token-4Kq81"  # what the workspace holds; no file names it any more
NEW = "new-token-9Xw27"
SCRIPT = ("definition", "graph", "nodes[script]", "config", "script_text")


def _scripted(value: WorkflowSpec, text: str, node_id: str = "script") -> WorkflowSpec:
    """`value` whose script node says `text` (and has id `node_id`)."""
    graph = value.definition["graph"]
    nodes = [
        {**n, "id": node_id, "config": {"script_text": text}} if n["id"] == "script" else n
        for n in graph["nodes"]
    ]
    edges = [{**e, "source": node_id} if e["source"] == "script" else e for e in graph["edges"]]
    return value.model_copy(update={"definition": {"graph": {"nodes": nodes, "edges": edges}}})


def _plan_and_redactor() -> tuple[Plan, Redactor]:
    applied_rotated = _scripted(spec(name="Rotated"), f"Code {OLD}.")
    applied_literal = spec(name=f"Hotline {OLD}")
    applied_removed = _scripted(spec(name=f"Retired {OLD}"), f"Code {OLD}.")
    r_rotated = remote(migrated(applied_rotated), wid="id-1")
    r_literal = remote(migrated(applied_literal), wid="id-2")
    r_removed = remote(migrated(applied_removed), wid="id-3")
    state = lockfile(
        support__rotated=entry(applied_rotated, r_rotated).model_copy(
            update={"secret_paths": (SCRIPT,)}
        ),
        support__literal=entry(applied_literal, r_literal).model_copy(
            update={"secret_paths": (("name",),)}
        ),
        old__removed=entry(applied_removed, r_removed).model_copy(
            update={"secret_paths": (SCRIPT, ("name",))}
        ),
        keeper=entry(spec(name="Keeper"), remote(migrated(spec(name="Keeper")), wid="id-4")),
    )
    want = desired(
        ("support/rotated", _scripted(spec(name="Rotated"), f"Code {NEW}.", node_id="intro")),
        ("support/literal", spec(name="Hotline")),
        ("keeper", spec(name="Keeper")),
    )
    rotated = want.workflows["support/rotated"].model_copy(
        update={"secret_paths": (("definition", "graph", "nodes[intro]", "config", "script_text"),)}
    )
    want = want.model_copy(
        update={
            "workflows": {**want.workflows, "support/rotated": rotated},
            "secret_values": frozenset({NEW}),
        }
    )
    workspace = remote_state(
        r_rotated, r_literal, r_removed, remote(migrated(spec(name="Keeper")), wid="id-4")
    )
    plan = plan_changes(want, workspace, state)
    return plan, Redactor(want.secret_values, secret_places(want, state))


def _check(name: str, text: str) -> None:
    assert OLD not in text
    path = GOLDEN / name
    if os.environ.get("ONEPIN_SYNC_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; rerun with ONEPIN_SYNC_UPDATE_GOLDEN=1 if intended"


def test_human_plan_masks_the_workspaces_secrets_by_place() -> None:
    plan, redactor = _plan_and_redactor()
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None, highlight=False, soft_wrap=True)

    render_plan(plan, console, redactor)

    _check("secret-places.txt", out.getvalue())


def test_markdown_plan_masks_the_workspaces_secrets_by_place() -> None:
    plan, redactor = _plan_and_redactor()

    _check("secret-places.md", plan_markdown(plan, redactor))


def test_json_plan_masks_the_workspaces_secrets_by_place() -> None:
    plan, redactor = _plan_and_redactor()
    target = PlanTarget(api_url="https://api.onepin.ai", lockfile="onepin-sync.lock")

    document = plan_document(plan, target, redactor, tool_version="VERSION")

    _check("secret-places.json", json.dumps(document.to_json(), indent=2, sort_keys=True) + "\n")
