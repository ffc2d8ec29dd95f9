"""The step runner itself: GitHub's expression rules and step conditions, so that a recipe test
that passes here would pass on GitHub for the same reasons."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.ci.expressions import ExpressionError, evaluate, substitute
from tests.ci.runner import JobContext, JobRunner, Machine, Workflow

CONTEXTS: dict[str, Any] = {
    "github": {"event_name": "push", "event": {"pull_request": {"number": 7}}},
    "steps": {"plan": {"outcome": "success", "outputs": {"exitcode": "2"}}},
    "matrix": {"environment": "staging", "api_key_env": "ONEPIN_STAGING_API_KEY"},
    "secrets": {"ONEPIN_STAGING_API_KEY": "op_live_x"},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("github.event_name == 'push'", True),
        ("github.event_name == 'PUSH'", True),  # strings compare without case
        ("github.event_name != 'pull_request'", True),
        ("steps.plan.outputs.exitcode != ''", True),
        ("steps.missing.outputs.exitcode != ''", False),  # a missing property is null
        ("steps.plan.outputs.exitcode == 2", True),  # different types compare as numbers
        ("secrets[matrix.api_key_env]", "op_live_x"),
        ("github.event.pull_request.number", 7),
        ("'' || 'fallback'", "fallback"),
        ("'a' && 'b'", "b"),
        ("!(github.event_name == 'push')", False),
        ("fromJSON('{\"include\": [1]}').include[0]", 1),
        ("startsWith('onepin-apply-x', 'onepin-apply')", True),
        ("format('{0}-{1}', 'a', 'b')", "a-b"),
        ("'it''s'", "it's"),
    ],
)
def test_expressions(expression: str, value: object) -> None:
    assert evaluate(expression, CONTEXTS, {}) == value


@pytest.mark.parametrize("expression", ["secret.X", "sucess()", "a ==", "'open"])
def test_unknown_contexts_functions_and_bad_syntax_are_errors(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, CONTEXTS, {})


def test_substitution_writes_null_as_empty_and_keeps_the_rest() -> None:
    text = "group-${{ matrix.environment }}-${{ github.nothing }}."
    assert substitute(text, lambda e: evaluate(e, CONTEXTS, {})) == "group-staging-."


def runner(tmp_path: Path, steps: str) -> JobRunner:
    path = tmp_path / "workflow.yml"
    path.write_text(
        "on: push\ndefaults:\n  run:\n    shell: bash\njobs:\n  job:\n    steps:\n"
        + textwrap.indent(textwrap.dedent(steps), "      "),
        encoding="utf-8",
    )
    machine = Machine(environ={"PATH": "/usr/bin:/bin"}, root=tmp_path / "machine", uses={})
    context = JobContext(github={"event_name": "push"})
    return JobRunner(Workflow.load(path), "job", context=context, machine=machine)


def test_a_failed_step_skips_success_steps_and_runs_always_and_failure_steps(
    tmp_path: Path,
) -> None:
    job = runner(
        tmp_path,
        """\
        - id: out
          run: echo "answer=42" >> "$GITHUB_OUTPUT"
        - id: fails
          run: false | true   # pipefail: the pipeline fails
        - id: skipped
          run: echo never
        - id: always
          if: always() && steps.out.outputs.answer == '42'
          run: echo "${{ steps.fails.outcome }}"
        - id: on-failure
          if: failure()
          run: echo handled
        - id: gated
          if: steps.out.outputs.answer == '42'   # success() && ...: skipped after a failure
          run: echo never
        """,
    )
    result = job.run()
    outcomes = {s.id: s.outcome for s in result.steps}
    assert result.status == "failure"
    assert outcomes == {
        "out": "success",
        "fails": "failure",
        "skipped": "skipped",
        "always": "success",
        "on-failure": "success",
        "gated": "skipped",
    }
    assert result.step("always").stdout == "failure\n"


def test_cancel_signals_the_running_step_and_only_always_steps_run_after(tmp_path: Path) -> None:
    job = runner(
        tmp_path,
        """\
        - id: long
          run: trap 'echo got TERM; exit 143' TERM; sleep 30 & wait
        - id: next
          run: echo never
        - id: cleanup
          if: always()
          run: echo "cleanup after ${{ steps.long.outcome }}"
        - id: on-cancel
          if: cancelled()
          run: echo cancelled
        """,
    ).start()
    deadline = time.monotonic() + 10
    while job.running_step != "long" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # let bash install its trap
    job.cancel(signal.SIGTERM)
    result = job.wait()
    assert result.status == "cancelled"
    assert [(s.id, s.outcome) for s in result.steps] == [
        ("long", "cancelled"),
        ("next", "skipped"),
        ("cleanup", "success"),
        ("on-cancel", "success"),
    ]
    assert result.step("long").stdout == "got TERM\n"
    assert result.step("cleanup").stdout == "cleanup after cancelled\n"
