"""Guards against destructive plans, beyond the basic refusals of tests/e2e/test_guards.py: the
absolute cap of 10 deletes, `--max-deletes`, saved plans, and `lifecycle.prevent_destroy` living on
in the lockfile after its file is gone (also through --force, --allow-mass-delete and a rename).
Every refusal is exit 3 with zero writes.
"""

from __future__ import annotations

import pytest

from tests.reliability.harness import Tracked, applied_examples, assert_invariants, writes_sent
from tests.samples import tiny_workflow

PROTECTED = "support/welcome-call"  # its example file says lifecycle.prevent_destroy: true


def _managed(sync: Tracked, count: int) -> list[str]:
    keys = [f"bulk/wf-{i:03d}" for i in range(count)]
    for key in keys:
        sync.project.write(key, tiny_workflow(f"Bulk {key[-3:]}"))
    assert sync.run("apply", "--auto-approve").code == 0
    return keys


def _no_deletes(sync: Tracked) -> bool:
    return writes_sent(sync, "DELETE") == []


@pytest.mark.parametrize(
    ("managed", "removed", "limit"),
    [(8, 3, 2), (44, 11, 10)],
    ids=["a-quarter-of-8", "at-most-10-of-44"],
)
def test_mass_deletes_are_refused_until_allowed(
    sync: Tracked, managed: int, removed: int, limit: int
) -> None:
    keys = _managed(sync, managed)
    for key in keys[:removed]:
        sync.project.remove(key)
    saved = sync.project.root / "plan.json"
    lockfile = sync.project.lockfile.read_bytes()

    refused = sync.run("apply", "--auto-approve")
    planned = sync.run("plan", "--out", str(saved))
    refused_saved = sync.run("apply", str(saved))
    too_low = sync.run("apply", "--auto-approve", "--max-deletes", str(removed - 1))

    message = f"the plan deletes {removed} workflows, more than the limit of {limit};"
    assert refused.code == 3, refused.output
    assert message in refused.stderr
    assert planned.code == 0, planned.output  # planning shows the deletes; applying refuses
    assert refused_saved.code == 3, refused_saved.output
    assert message in refused_saved.stderr
    assert too_low.code == 3, too_low.output
    assert _no_deletes(sync)
    assert sync.project.lockfile.read_bytes() == lockfile

    allowed = sync.run("apply", "--auto-approve", "--max-deletes", str(removed))
    assert allowed.code == 0, allowed.output
    assert f"Apply complete: 0 created, 0 updated, {removed} deleted." in allowed.stdout
    assert_invariants(sync)


def test_prevent_destroy_outlives_its_file_and_every_override_flag(sync: Tracked) -> None:
    applied_examples(sync)
    sync.project.remove(PROTECTED)

    planned = sync.run("plan")
    forced = sync.run("apply", "--auto-approve", "--force", "--allow-mass-delete")

    for refused in (planned, forced):
        assert refused.code == 3, refused.output
        assert f"{PROTECTED}: its file was removed but the lockfile records" in refused.stderr
    assert sync.project.lock_entries()[PROTECTED]["prevent_destroy"] is True
    assert _no_deletes(sync)
    sync.project.copy_examples()  # put it back for the convergence check
    assert_invariants(sync)


def test_renaming_a_protected_file_is_refused_as_a_delete(sync: Tracked) -> None:
    applied_examples(sync)
    document = sync.project.read(PROTECTED)
    sync.project.remove(PROTECTED)
    sync.project.write("support/welcome-call-v2", document)

    refused = sync.run("apply", "--auto-approve")

    assert refused.code == 3, refused.output
    assert f"{PROTECTED}: its file was removed" in refused.stderr
    assert len(writes_sent(sync, "POST")) == 4  # the first apply's creates only
    sync.project.remove("support/welcome-call-v2")
    sync.project.write(PROTECTED, document)
    assert_invariants(sync)


def test_lifting_prevent_destroy_in_the_file_then_removing_it_deletes(sync: Tracked) -> None:
    ids = applied_examples(sync)
    document = sync.project.read(PROTECTED)
    sync.project.write(PROTECTED, {**document, "lifecycle": {"prevent_destroy": False}})

    lifted = sync.run("apply", "--auto-approve")
    sync.project.remove(PROTECTED)
    deleted = sync.run("apply", "--auto-approve")

    assert lifted.code == 0, lifted.output
    assert "Lockfile refreshed; no API writes were needed." in lifted.stdout
    assert deleted.code == 0, deleted.output
    assert [r.path for r in writes_sent(sync, "DELETE")] == [f"/api/v1/workflows/{ids[PROTECTED]}"]
    assert_invariants(sync)
