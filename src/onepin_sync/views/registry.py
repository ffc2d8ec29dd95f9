"""The plan views by name: `plan --format` offers exactly these keys.

A view prints a plan outcome on the console and returns nothing. A new output format is one
function here (or in a module of its own) and one entry in `PLAN_VIEWS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from onepin_sync.commands.plan import PlanOutcome
from onepin_sync.views.console import ConsoleUi

PlanView = Callable[[ConsoleUi, PlanOutcome], None]


def human_view(ui: ConsoleUi, outcome: PlanOutcome) -> None:
    ui.show_plan(outcome.plan, outcome.redactor)
    if outcome.saved_to is not None:
        ui.info(
            f"\nSaved the plan to {outcome.saved_to}. Apply exactly it with: "
            f"onepin-sync apply {outcome.saved_to}"
        )


def json_view(ui: ConsoleUi, outcome: PlanOutcome) -> None:
    ui.document.out(
        json.dumps(outcome.document.to_json(), indent=2, sort_keys=True), highlight=False
    )


def markdown_view(ui: ConsoleUi, outcome: PlanOutcome) -> None:
    from onepin_sync.views.markdown import PlanHeading, plan_markdown  # 5 ms, for this view only

    target = outcome.target
    heading = PlanHeading(
        api_url=target.api_url,
        lockfile=_as_the_repository_names_it(target.lockfile),
        serial=outcome.plan.serial,
        new_lockfile=outcome.new_lockfile_salt is not None,
        workspace=target.workspace,
        environment=outcome.environment,
        commit=outcome.commit,
    )
    ui.document.out(plan_markdown(outcome.plan, outcome.redactor, heading), end="", highlight=False)


def _as_the_repository_names_it(location: str) -> str:
    """A lockfile under the folder the run started in, relative to it: a pull request comment
    names `onepin-sync.lock`, not the CI runner's checkout path. A URL stays as it is."""
    path = Path(location)
    if not path.is_absolute():
        return location
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return location


PLAN_VIEWS: dict[str, PlanView] = {
    "human": human_view,
    "json": json_view,
    "markdown": markdown_view,
}
