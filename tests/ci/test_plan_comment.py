"""The plan comment of the plan recipe, run against the emulator and the fake gh: one comment per
pull request, and a failed plan commented with its error."""

from __future__ import annotations

import json

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import Pipeline
from tests.ci.samples import edited, writes

WELCOME = "workflows/support/welcome-call.yaml"
PLAN_MARKER = "<!-- onepin-sync-plan -->"
GITHUB_LIMIT = 65_536
SHORTENED = "Shortened to fit a GitHub comment, lowest-risk changes first"


def test_the_plan_recipe_keeps_one_comment_per_pull_request(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    pipeline.seed_and_apply()
    welcome = pipeline.show(WELCOME)
    assert welcome is not None
    before = len(writes(workspace))
    human = {"id": 1, "issue": 7, "body": f"{PLAN_MARKER} quoted by a person",
             "user": {"login": "alice", "type": "User"}}  # fmt: skip
    seeded = {"calls": [], "comments": [human], "issues": [], "next_id": 1000, "next_number": 1}
    pipeline.gh_state.write_text(json.dumps(seeded), encoding="utf-8")

    first = pipeline.pull_request(7, {WELCOME: edited(welcome, "First edit.")}).run()
    assert first.status == "success", [s.output for s in first.steps]
    assert first.step("plan").outputs == {"exitcode": "2"}
    second = pipeline.pull_request(7, {WELCOME: edited(welcome, "Second edit.")}).run()
    assert second.status == "success", [s.output for s in second.steps]

    state = pipeline.github_state()
    ours = [c for c in state["comments"] if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1
    (comment,) = ours
    assert comment["body"].startswith(PLAN_MARKER + "\n### onepin-sync plan")
    assert "**Plan: 0 to create, 1 to update, 0 to delete.**" in comment["body"]
    assert '"Second edit."' in comment["body"]
    assert "First edit." not in comment["body"]
    assert state["comments"][0] == human  # a person's comment is never edited
    methods = [c["argv"][1:3] for c in state["calls"] if "--method" in c["argv"]]
    assert methods == [["--method", "POST"], ["--method", "PATCH"]]
    assert all(c["token"] for c in state["calls"])
    assert "1 to update" in second.summary
    assert len(writes(workspace)) == before  # a plan writes nothing


def test_the_plan_recipe_comments_an_invalid_file(pipeline: Pipeline) -> None:
    pipeline.seed_and_apply()

    result = pipeline.pull_request(8, {"workflows/broken.yaml": "name: [\n"}).run()

    assert result.status == "failure"
    assert (result.step("plan").outcome, result.step("plan").returncode) == ("failure", 3)
    (comment,) = pipeline.github_state()["comments"]
    assert comment["body"].startswith(PLAN_MARKER + "\n### onepin-sync plan failed (exit 3)")
    assert "workflows/broken.yaml:" in comment["body"]
