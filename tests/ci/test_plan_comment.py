"""The plan comment of the plan and matrix recipes, run against the emulator and the fake gh (which
refuses a body over GitHub's 65,536 characters, or one that is not UTF-8): one comment per pull
request, a failed plan commented with its error, and a long plan commented whole, as onepin-sync
wrote it under 60,000 characters, however many bytes its text takes."""

from __future__ import annotations

import json
from typing import Any

import yaml

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.pipeline import Pipeline
from tests.ci.samples import edited, environments, writes

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


# --- long plans and long errors -----------------------------------------------------------------

SCRIPT = "\n".join(
    f"{n:02d}. お電話ありがとうございます。ご予約の確認のため、もう一度お名前をお聞かせください。"
    for n in range(1, 31)
)  # 3 bytes to a character in UTF-8


def long_scripts(count: int) -> dict[str, str | None]:
    """`count` new workflow files, each with a script of about 1,300 Japanese characters."""
    files: dict[str, str | None] = {}
    for n in range(1, count + 1):
        document = {
            "name": f"予約の確認 {n:02d}",
            "definition": {
                "graph": {
                    "nodes": [
                        {"id": "script", "type": "source_script",
                         "config": {"source_language": "ja-jp", "script_text": SCRIPT}},
                        {"id": "export", "type": "sink_preview"},
                    ],
                    "edges": [{"id": "e1", "source": "script", "sourcePort": "lines",
                               "target": "export", "targetPort": "lines"}],
                }
            },
        }  # fmt: skip
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        files[f"workflows/bookings/confirm-{n:02d}.yaml"] = text
    return files


def assert_well_formed(body: str) -> None:
    """Under GitHub's limit, every code fence and `<details>` closed."""
    assert len(body) <= GITHUB_LIMIT
    fences = [line for line in body.splitlines() if line.lstrip("> ").startswith("```")]
    assert len(fences) % 2 == 0, "a code fence is left open"
    assert body.count("<details") == body.count("</details>")


def test_a_long_plan_of_non_ascii_text_is_commented_whole_with_its_note(
    pipeline: Pipeline,
) -> None:
    pipeline.seed_and_apply()

    job = pipeline.pull_request(9, long_scripts(60))
    result = job.run()

    assert result.status == "success", [s.output for s in result.steps]
    plan_md = (job.workspace / "plan.md").read_text(encoding="utf-8")
    assert len(plan_md.encode()) > 2 * GITHUB_LIMIT  # far more bytes than the limit's characters
    assert SHORTENED in plan_md  # onepin-sync shortened it itself, and said so
    (comment,) = pipeline.github_state()["comments"]
    assert comment["body"].startswith(f"{PLAN_MARKER}\n{plan_md}\n<sub>Commit ")
    assert_well_formed(comment["body"])
    assert "**Plan: 60 to create, 0 to update, 0 to delete.**" in comment["body"]


def test_a_long_error_is_commented_in_whole_lines_inside_a_closed_fence(
    pipeline: Pipeline,
) -> None:
    pipeline.seed_and_apply()
    nodes = [{"id": f"n{i}", "type": "source_scripts"} for i in range(300)]  # 300 problems
    broken = yaml.safe_dump({"name": "Broken", "definition": {"graph": {"nodes": nodes}}})

    job = pipeline.pull_request(10, {"workflows/broken.yaml": broken})
    result = job.run()

    assert result.status == "failure"
    assert result.step("plan").returncode == 3
    error = (job.workspace / "plan.err").read_text(encoding="utf-8")
    assert len(error) > GITHUB_LIMIT
    (comment,) = pipeline.github_state()["comments"]
    body = comment["body"]
    assert body.startswith(f"{PLAN_MARKER}\n### onepin-sync plan failed (exit 3)\n\n```text\n")
    assert_well_formed(body)
    quoted = body.split("```text\n", 1)[1].split("\n```\n", 1)[0].splitlines()
    assert quoted[-1] == "[cut short: the whole error is in the log of the Plan step]"
    assert quoted[:-1] == error.splitlines()[: len(quoted) - 1]  # whole lines, from the first
    assert 40_000 < len("\n".join(quoted)) < 50_100


def test_the_matrix_recipe_comments_a_long_plan_whole(
    pipeline: Pipeline, workspace: EmulatorWorkspace
) -> None:
    project = environments(workspace.base_url, "production")
    pipeline.seed({"onepin-sync.yaml": project})
    secrets = {"ONEPIN_PRODUCTION_API_KEY": workspace.api_key}
    listing = pipeline.job("onepin-matrix.yml", "environments", secrets=secrets).run()
    assert listing.status == "success", [s.output for s in listing.steps]
    needs: dict[str, Any] = {"environments": {"outputs": listing.outputs, "result": "success"}}
    (production,) = json.loads(listing.outputs["matrix"])["include"]

    job = pipeline.pull_request(11, long_scripts(60), "onepin-matrix.yml", "plan",
                                secrets=secrets, needs=needs, matrix=production)  # fmt: skip
    result = job.run()

    assert result.status == "success", [s.output for s in result.steps]
    plan_md = (job.workspace / "plan.md").read_text(encoding="utf-8")
    assert SHORTENED in plan_md
    (comment,) = pipeline.github_state()["comments"]
    header = "<!-- onepin-sync-plan:production -->\n## Environment `production`\n\n"
    assert comment["body"].startswith(f"{header}{plan_md}\n<sub>[run](")
    assert_well_formed(comment["body"])
