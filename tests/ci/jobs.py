"""The values around a job run: the workflow file, what a job is given, what it gives back.

`Workflow` reads a GitHub Actions file (the YAML 1.1 key `on` read back as "on"); `JobContext`
holds the contexts a job's expressions read; `Machine` is the runner machine the harness
provides; `StepResult` and `JobResult` are what `runner.JobRunner` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Workflow:
    path: Path
    data: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path) -> Workflow:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if True in data:  # YAML 1.1 reads the key `on` as true
            data["on"] = data.pop(True)
        return cls(path, data)

    @property
    def triggers(self) -> Mapping[str, Any]:
        on = self.data["on"]
        return {on: None} if isinstance(on, str) else dict(on)

    def job(self, job_id: str) -> Mapping[str, Any]:
        job: Mapping[str, Any] = self.data["jobs"][job_id]
        return job

    def steps(self, job_id: str) -> list[Mapping[str, Any]]:
        return list(self.job(job_id)["steps"])

    def step(self, job_id: str, step_id: str) -> Mapping[str, Any]:
        return next(s for s in self.steps(job_id) if s.get("id") == step_id)


@dataclass(frozen=True)
class JobContext:
    """What GitHub would pass a job: the contexts its expressions may read."""

    github: Mapping[str, Any]
    secrets: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    matrix: Mapping[str, Any] | None = None
    needs: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class StepResult:
    index: int
    id: str | None
    name: str
    outcome: str  # success | failure | skipped | cancelled
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    replaced: bool = False  # run by the harness instead of the shipped text
    uses: str | None = None
    seconds: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class JobResult:
    status: str  # success | failure | cancelled | lost | skipped
    steps: list[StepResult]
    summary: str
    outputs: dict[str, str]

    def step(self, key: str) -> StepResult:
        """A step by id or name."""
        return next(s for s in self.steps if key in {s.id, s.name})

    @property
    def replaced(self) -> list[str]:
        """What the harness stood in for: actions by name, replaced `run:` steps by id."""
        return [s.uses or s.id or s.name for s in self.steps if s.replaced]


StepHandler = Callable[[Mapping[str, Any], Mapping[str, str], Path], None]
"""Runs a `uses:` or replaced step: (the step, its `with` values substituted, the workspace)."""


@dataclass(frozen=True)
class Machine:
    """The runner machine: its environment, its job folder, and what stands in for actions."""

    environ: Mapping[str, str]
    root: Path
    uses: Mapping[str, StepHandler]  # by action name without the version, e.g. actions/checkout
    replace: Mapping[str, StepHandler] = field(default_factory=dict)  # run: steps by id
