"""The quickstart path through the CLI: apply the examples, then the next plan is empty."""

from __future__ import annotations

from tests.sync_project import SyncProject


def test_apply_examples_then_plan_is_empty(project: SyncProject) -> None:
    keys = project.copy_examples()
    applied = project.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert sorted(project.lock_entries()) == keys

    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout
