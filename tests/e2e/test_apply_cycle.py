"""The everyday cycle over real HTTP: apply the examples, edit one value, remove one file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.support import (
    WORKFLOWS,
    apply_examples,
    calls,
    first_calls,
    recorded,
    remote_workflow,
    writes,
)
from tests.sync_project import SyncProject

EXAMPLE_NAMES = {
    "education/lesson-narration": "Lesson narration — Intro to fractions",
    "marketing/product-launch-promo": "Product launch promo — Aurora X2",
    "support/payment-reminder": "Payment reminder",
    "support/welcome-call": "Welcome call (EN/ES/FR)",
}


def test_a_fresh_apply_creates_every_example_and_records_its_id(project: SyncProject) -> None:
    keys = project.copy_examples()

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert first_calls(sent, 1)
    assert [r.method for r in sent[3:]] == ["POST", "POST", "POST", "POST", "GET"]
    assert {(r.path, r.status) for r in writes(sent)} == {(WORKFLOWS, 201)}
    assert {tuple(r.body_keys or ()) for r in writes(sent)} == {
        ("definition", "description", "name")
    }  # a create sends every managed field, never `lifecycle`
    entries = project.lock_entries()
    assert sorted(entries) == keys
    for key, entry in entries.items():
        remote = remote_workflow(project, entry["id"])
        assert remote["name"] == EXAMPLE_NAMES[key] == entry["name"]


def test_the_plan_after_an_apply_is_empty_and_exits_0(project: SyncProject) -> None:
    apply_examples(project)

    with recorded(project.workspace) as sent:
        again = project.run("plan", "--detailed-exitcode")

    assert again.code == 0, again.output
    assert again.stdout == "No changes. The workspace matches the workflow files.\n"
    assert calls(sent) == first_calls(sent, 1)


def test_a_plan_with_changes_exits_2_with_detailed_exitcode_and_0_without(
    project: SyncProject,
) -> None:
    apply_examples(project)
    doc = project.read("support/payment-reminder")
    project.write("support/payment-reminder", {**doc, "description": "Edited in git."})

    detailed = project.run("plan", "--detailed-exitcode")
    plain = project.run("plan")

    assert detailed.code == 2, detailed.output
    assert plain.code == 0, plain.output
    assert "Plan: 0 to create, 1 to update, 0 to delete." in detailed.stdout


def _set_description(doc: dict[str, Any]) -> None:
    doc["description"] = "A new description."


def _clear_description(doc: dict[str, Any]) -> None:
    doc["description"] = None


def _rename(doc: dict[str, Any]) -> None:
    doc["name"] = "Payment reminder (v2)"


def _change_definition(doc: dict[str, Any]) -> None:
    doc["definition"]["graph"]["nodes"][1]["config"]["expand_numbers"] = False


@pytest.mark.parametrize(
    ("edit", "sent_keys", "field", "expected"),
    [
        pytest.param(_set_description, ["description"], "description", "A new description.",
                     id="description-sends-only-description"),
        pytest.param(_clear_description, ["description"], "description", None,
                     id="null-description-clears-it"),
        pytest.param(_rename, ["name"], "name", "Payment reminder (v2)",
                     id="name-sends-only-name"),
        pytest.param(_change_definition, ["definition"], None, None,
                     id="definition-sends-the-whole-definition"),
    ],
)  # fmt: skip
def test_editing_one_value_sends_one_patch_with_only_that_field(
    project: SyncProject,
    edit: Callable[[dict[str, Any]], None],
    sent_keys: list[str],
    field: str | None,
    expected: object,
) -> None:
    ids = apply_examples(project)
    key = "support/payment-reminder"
    doc = project.read(key)
    edit(doc)
    project.write(key, doc)

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    assert "Apply complete: 0 created, 1 updated, 0 deleted." in applied.stdout
    [patch] = writes(sent)
    assert (patch.method, patch.path, patch.status) == ("PATCH", f"{WORKFLOWS}/{ids[key]}", 200)
    assert patch.body_keys == sent_keys
    remote = remote_workflow(project, ids[key])
    if field is not None:
        assert remote[field] == expected
    else:  # the whole definition went over: every node and edge, the edited value included
        nodes = {n["id"]: n for n in remote["definition"]["graph"]["nodes"]}
        assert list(nodes) == ["script", "normalize", "voice", "accuracy", "export"]
        assert nodes["normalize"]["config"]["expand_numbers"] is False
        assert len(remote["definition"]["graph"]["edges"]) == 5
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_editing_two_fields_sends_both_in_one_patch(project: SyncProject) -> None:
    ids = apply_examples(project)
    key = "education/lesson-narration"
    doc = project.read(key)
    project.write(key, {**doc, "name": "Fractions, part 1", "description": "Shorter."})

    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert applied.code == 0, applied.output
    [patch] = writes(sent)
    assert (patch.method, patch.path) == ("PATCH", f"{WORKFLOWS}/{ids[key]}")
    assert patch.body_keys == ["description", "name"]


def test_removing_a_file_deletes_exactly_that_workflow(project: SyncProject) -> None:
    ids = apply_examples(project)
    removed = "marketing/product-launch-promo"
    project.remove(removed)

    plan = project.run("plan")
    with recorded(project.workspace) as sent:
        applied = project.run("apply", "--auto-approve")

    assert f"  # {removed} will be deleted (removed from config)" in plan.stdout
    assert "Plan: 0 to create, 0 to update, 1 to delete." in plan.stdout
    assert applied.code == 0, applied.output
    assert "Apply complete: 0 created, 0 updated, 1 deleted." in applied.stdout
    assert [(r.method, r.path, r.status, r.body_keys) for r in writes(sent)] == [
        ("DELETE", f"{WORKFLOWS}/{ids[removed]}", 200, None)
    ]
    kept = {k: v for k, v in ids.items() if k != removed}
    assert {k: e["id"] for k, e in project.lock_entries().items()} == kept
    for workflow_id in kept.values():
        assert remote_workflow(project, workflow_id)["id"] == workflow_id
    assert project.run("plan", "--detailed-exitcode").code == 0
