"""The project file `onepin-sync.yaml` and the files one environment reads and writes.

The optional project file sets the workflows folder, the lockfile (or, with `state.url`, a
state object in object storage) and named environments (`--env NAME`); paths in it are relative
to its own folder, paths given as options to the working directory. It is read by the workflow
files' strict rules, problems at line:column.

It also declares what happened to keys, at the top level (every environment) and per
environment (that one only): `moved: [{from: old/key, to: new/key}]` (a renamed file keeps its
workflow) and `removed: [{key: old/key}]` (stop managing a key, leave its workflow in Onepin).
Entries that contradict each other (the same key moved twice, a chain or a cycle, a key both
moved and removed) are refused here, at their line; whether they fit the lockfile and the files
is the planner's check.

Paths must say something: an empty `workflows` or `lockfile` (which would name the project's
folder, or fall back to the project's lockfile) is refused at its line, and so is a `lockfile`
that names a folder (`.`, `..`, ending in `/`); `workflows: .` is the project's folder, whose
project file and lockfile are then no workflow files (`ProjectPaths.own_files`). An
environment's `base_url` is checked here by the rules every base URL follows
(`base_url_problem`), so a bad one is refused at its line too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator

from onepin_sync.core.models import FrozenModel, MovedKey, RemovedKey
from onepin_sync.core.redact import mask_tokens
from onepin_sync.errors import InputError, Problem, WorkflowFileError
from onepin_sync.files.filecheck import MessageContext, format_problems
from onepin_sync.files.reader import read_yaml_file
from onepin_sync.files.sourcemap import SourceMap
from onepin_sync.files.yamlstrict import printable_path

DEFAULT_PROJECT_FILE = "onepin-sync.yaml"
DEFAULT_BASE_URL = "https://api.onepin.ai"
DEFAULT_LOCKFILE = "onepin-sync.lock"
STATE_URL_SCHEMES = ("s3", "gs", "az", "abfs")
"""Object stores a remote state can live in (`state/remote.py`)."""


class StateConfig(FrozenModel):
    """`state:`: where the lockfile lives when not in a file next to the project."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    url: str  # e.g. s3://bucket/prefix/onepin-sync.lock

    @field_validator("url")
    @classmethod
    def _object_url(cls, url: str) -> str:
        return check_state_url(url)


def check_state_url(url: str) -> str:
    """`url` when it names an object in a supported store; ValueError saying what is wrong."""
    scheme, sep, rest = url.partition("://")
    bucket, _, key = rest.partition("/")
    if not sep or scheme not in STATE_URL_SCHEMES:
        schemes = ", ".join(f"{s}://" for s in STATE_URL_SCHEMES)
        raise ValueError(f"a state URL starts with one of {schemes} (got {url!r})")
    if not bucket or not key or key.endswith("/"):
        raise ValueError(f"a state URL names a bucket and an object, e.g. {scheme}://bucket/a.lock")
    return url


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the API's base URL, or None: anything but https is refused, except
    plain http to a loopback host.

    The messages never quote the whole value, only a host: what is not a URL may be a key pasted
    into the wrong place, and a URL's user:password part is a credential.
    """
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        return "the base URL's port is not a number from 0 to 65535"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return (
            "the base URL is not an http(s) URL; it must start with https:// "
            f"(like {DEFAULT_BASE_URL})"
        )
    if parts.username is not None or parts.password is not None:
        return (
            "the base URL holds a user name or password; give the API key with --api-key or "
            "ONEPIN_API_KEY, and the URL without credentials"
        )
    if "?" in url or "#" in url:
        return (
            "the base URL has a query or fragment (?… or #…); give just the scheme, host and "
            f"path (like {DEFAULT_BASE_URL})"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        shown = mask_tokens(f"http://{parts.hostname}")  # no user:password, path or query
        return (
            f"base URL {shown!r} uses plain http to a non-loopback host; use https "
            "(the API key would travel unencrypted)"
        )
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _file_path(value: str) -> str:
    """A path of the project file that must name a file (`lockfile`): not empty, and not one
    that names a folder whatever is there (`.`, `..`, or ending in `/`)."""
    if not value:
        raise ValueError("must not be empty")
    if value.replace("\\", "/").rsplit("/", 1)[-1] in {"", ".", ".."}:
        raise ValueError("names a folder, not a file (e.g. onepin-sync.lock)")
    return value


def _folder_path(value: str) -> str:
    """A folder path of the project file (`workflows`): not empty (`.` is the project's own)."""
    if not value:
        raise ValueError("must not be empty (use . for the project file's folder)")
    return value


class MovedEntry(FrozenModel):
    """`{from: old/key, to: new/key}`."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    from_key: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)


class RemovedEntry(FrozenModel):
    """`{key: old/key}`."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    key: str = Field(min_length=1)


class EnvironmentConfig(FrozenModel):
    """One named environment of the project file."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    moved: list[MovedEntry] = Field(default_factory=list)
    removed: list[RemovedEntry] = Field(default_factory=list)
    base_url: str | None = None
    workspace: str | None = None
    workflows: str | None = None
    lockfile: str | None = None
    state: StateConfig | None = None
    # The name of the variable holding this environment's key; never empty, as an empty name
    # would fall back to the default key, which may be another workspace's.
    api_key_env: str | None = Field(default=None, min_length=1)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        problem = None if url is None else base_url_problem(url.rstrip("/"))
        if problem is not None:
            raise ValueError(problem)
        return url

    @field_validator("workflows")
    @classmethod
    def _workflows(cls, path: str | None) -> str | None:
        return None if path is None else _folder_path(path)

    @field_validator("lockfile")
    @classmethod
    def _lockfile(cls, path: str | None) -> str | None:
        return None if path is None else _file_path(path)


class ProjectConfig(FrozenModel):
    """`onepin-sync.yaml`; every field optional."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    workflows: str = "workflows"
    lockfile: str = DEFAULT_LOCKFILE
    state: StateConfig | None = None
    environments: Mapping[str, EnvironmentConfig] = {}
    moved: list[MovedEntry] = Field(default_factory=list)
    removed: list[RemovedEntry] = Field(default_factory=list)

    @field_validator("workflows")
    @classmethod
    def _workflows(cls, path: str) -> str:
        return _folder_path(path)

    @field_validator("lockfile")
    @classmethod
    def _lockfile(cls, path: str) -> str:
        return _file_path(path)


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
    lockfile: Path  # with `state_url`, only where this machine's files go (`local_dir`)
    moved: tuple[MovedKey, ...] = ()  # the project file's `moved:` entries for this environment
    removed: tuple[RemovedKey, ...] = ()  # and its `removed:` entries
    state_url: str | None = None  # the state object, when the state lives in object storage
    project_file: Path | None = None  # the project file read, if any

    @property
    def own_files(self) -> tuple[Path, ...]:
        """The project file and the lockfile: never workflow files, even when the workflows
        folder holds them (`workflows: .`)."""
        lockfile = () if self.state_url is not None else (self.lockfile,)
        project = () if self.project_file is None else (self.project_file,)
        return (*project, *lockfile)

    @property
    def local_dir(self) -> Path:
        """`.onepin-sync/` beside the lockfile: this machine's files (never committed)."""
        return self.lockfile.parent / ".onepin-sync"

    def holds(self, path: Path) -> bool:
        """Whether `path` is one of the project's own files: the lockfile, the project file, a
        file in the workflows folder or in this machine's `.onepin-sync/` (the journal)."""
        target = path.resolve()
        return any(target == p.resolve() for p in (self.lockfile, *self.own_files)) or any(
            target.is_relative_to(folder.resolve()) for folder in (self.workflows, self.local_dir)
        )


def load_project(options: TargetOptions, cwd: Path) -> tuple[ProjectPaths, EnvironmentConfig]:
    """The files to use and the selected environment, from the options and the project file.

    Paths in the project file are relative to its folder; paths given as options to `cwd`.
    """
    path = options.config or cwd / DEFAULT_PROJECT_FILE
    project = ProjectConfig()
    source = None
    root = cwd
    if path.exists() or options.config is not None:
        project, source = _read_project_file(path)
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
    moved: tuple[MovedKey, ...] = ()
    removed: tuple[RemovedKey, ...] = ()
    if source is not None:
        moved, removed = _key_declarations(project, options.env_name, path, source)
    paths = ProjectPaths(
        workflows=workflows,
        lockfile=lockfile,
        moved=moved,
        removed=removed,
        state_url=_state_url(options, env_config, project),
        project_file=path if source is not None else None,
    )
    return paths, env_config


def _state_url(
    options: TargetOptions, env_config: EnvironmentConfig, project: ProjectConfig
) -> str | None:
    """The state object's URL: the most specific setting wins (--lockfile, then the
    environment's `state` or `lockfile`, then the project's `state`)."""
    if options.lockfile is not None:
        return None
    if env_config.state is not None:
        return env_config.state.url
    if env_config.lockfile is not None or project.state is None:
        return None
    return project.state.url


def _key_declarations(
    project: ProjectConfig, env_name: str | None, path: Path, source: SourceMap
) -> tuple[tuple[MovedKey, ...], tuple[RemovedKey, ...]]:
    """The `moved:` and `removed:` entries that apply to the environment, located; refuses
    entries that contradict each other."""
    display = printable_path(str(path))
    scopes: list[tuple[tuple[str, ...], ProjectConfig | EnvironmentConfig]] = [((), project)]
    if env_name is not None:
        scopes.append((("environments", env_name), project.environments[env_name]))

    def where(*at: str | int) -> str:
        line, column = source.locate(at)
        return f"{display}:{line}:{column}"

    moved = [
        MovedKey(from_key=m.from_key, to_key=m.to, where=where(*prefix, "moved", i))
        for prefix, scope in scopes
        for i, m in enumerate(scope.moved)
    ]
    removed = [
        RemovedKey(key=r.key, where=where(*prefix, "removed", i))
        for prefix, scope in scopes
        for i, r in enumerate(scope.removed)
    ]
    problems = _contradictions(moved, removed)
    if problems:
        raise InputError(problems[0])
    return tuple(moved), tuple(removed)


def _contradictions(moved: list[MovedKey], removed: list[RemovedKey]) -> list[str]:
    """Why entries cannot all hold, each naming where; empty when they can."""
    problems = []
    sources: dict[str, MovedKey] = {}
    targets: dict[str, MovedKey] = {}
    for entry in moved:
        if entry.from_key == entry.to_key:
            problems.append(f"{entry.where}: moved: {entry.from_key} is moved onto itself")
        elif entry.from_key in sources:
            first = sources[entry.from_key]
            problems.append(
                f"{entry.where}: moved: {entry.from_key} is already moved at {first.where}"
            )
        elif entry.to_key in targets:
            first = targets[entry.to_key]
            problems.append(
                f"{entry.where}: moved: {entry.to_key} is already the target of {first.where}"
            )
        sources.setdefault(entry.from_key, entry)
        targets.setdefault(entry.to_key, entry)
    for entry in moved:
        later = sources.get(entry.to_key)
        if later is not None and later is not entry:
            problems.append(
                f"{entry.where}: moved: {entry.to_key} is moved again at {later.where} (a chain "
                "or a cycle); move each old key straight to its final key"
            )
    seen: dict[str, RemovedKey] = {}
    for gone in removed:
        if gone.key in seen:
            problems.append(
                f"{gone.where}: removed: {gone.key} is already removed at {seen[gone.key].where}"
            )
        seen.setdefault(gone.key, gone)
        also = sources.get(gone.key) or targets.get(gone.key)
        if also is not None:
            problems.append(f"{gone.where}: removed: {gone.key} is also moved at {also.where}")
    return sorted(problems)


def _read_project_file(path: Path) -> tuple[ProjectConfig, SourceMap]:
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
    return ProjectConfig.model_validate(value), SourceMap(text)
