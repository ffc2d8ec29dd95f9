"""The project file `onepin-sync.yaml` and the files one environment reads and writes.

The optional project file sets the workflows folder, the lockfile and named environments
(`--env NAME`); paths in it are relative to its own folder, paths given as options to the
working directory. It is read by the workflow files' strict rules, problems at line:column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ConfigDict

from onepin_sync.core.models import FrozenModel
from onepin_sync.core.redact import mask_tokens
from onepin_sync.errors import InputError, Problem, WorkflowFileError
from onepin_sync.files.filecheck import MessageContext, format_problems
from onepin_sync.files.reader import read_yaml_file
from onepin_sync.files.sourcemap import SourceMap
from onepin_sync.files.yamlstrict import printable_path

DEFAULT_PROJECT_FILE = "onepin-sync.yaml"
DEFAULT_LOCKFILE = "onepin-sync.lock"


class EnvironmentConfig(FrozenModel):
    """One named environment of the project file."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    base_url: str | None = None
    workspace: str | None = None
    workflows: str | None = None
    lockfile: str | None = None
    api_key_env: str | None = None  # name of the variable holding this environment's key


class ProjectConfig(FrozenModel):
    """`onepin-sync.yaml`; every field optional."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    workflows: str = "workflows"
    lockfile: str = DEFAULT_LOCKFILE
    environments: Mapping[str, EnvironmentConfig] = {}


@dataclass(frozen=True)
class TargetOptions:
    """The command-line options that choose files and target."""

    config: Path | None = None
    env_name: str | None = None
    workflows: Path | None = None
    lockfile: Path | None = None
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    workspace: str | None = None
    emulator: bool = False


@dataclass(frozen=True)
class ProjectPaths:
    """Files onepin-sync reads and writes for one environment."""

    workflows: Path
    lockfile: Path

    @property
    def local_dir(self) -> Path:
        """`.onepin-sync/` beside the lockfile: this machine's files (never committed)."""
        return self.lockfile.parent / ".onepin-sync"


def load_project(options: TargetOptions, cwd: Path) -> tuple[ProjectPaths, EnvironmentConfig]:
    """The files to use and the selected environment, from the options and the project file.

    Paths in the project file are relative to its folder; paths given as options to `cwd`.
    """
    path = options.config or cwd / DEFAULT_PROJECT_FILE
    project = ProjectConfig()
    root = cwd
    if path.exists() or options.config is not None:
        project = _read_project_file(path)
        root = path.parent
    env_config = EnvironmentConfig()
    if options.env_name is not None:
        if options.env_name not in project.environments:
            known = ", ".join(sorted(project.environments)) or "none defined"
            name = mask_tokens(repr(options.env_name))  # never a key pasted into --env
            raise InputError(f"unknown environment {name} ({path}: {known})")
        env_config = project.environments[options.env_name]
    workflows = options.workflows or root / (env_config.workflows or project.workflows)
    lockfile = options.lockfile or root / (env_config.lockfile or project.lockfile)
    return ProjectPaths(workflows=workflows, lockfile=lockfile), env_config


def _read_project_file(path: Path) -> ProjectConfig:
    """`onepin-sync.yaml`, read by the workflow files' strict rules, problems at line:column."""
    display = printable_path(str(path))
    value, text, problems = read_yaml_file(path, display, top_level="a mapping")
    if not problems:
        source = SourceMap(text)
        context = MessageContext(source_text=source.source_text)
        for problem in format_problems(value, context, ProjectConfig):
            line, column = source.locate(problem.path, problem.at)
            problems.append(Problem(display, line, column, problem.message))
    if problems:
        raise WorkflowFileError(problems, where="the project file")
    return ProjectConfig.model_validate(value)
