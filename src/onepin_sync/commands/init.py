"""`init [DIR]`: start a project: the project file, one example workflow, the workflow file's
JSON Schema, the pre-commit config, the CI recipes and the `.gitignore` entries.

It never overwrites: if any file it would create exists, it lists them all and writes nothing
(exit 3). The one exception is `.gitignore`, which it creates or adds its missing entries to,
keeping every line already there. Talks to no API.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepin_sync import __version__
from onepin_sync.commands.context import RunEnvironment, Ui
from onepin_sync.errors import ExitCode, InputError, OnepinSyncError
from onepin_sync.files.reader import read_text
from onepin_sync.files.scaffold import GITIGNORE, gitignore_addition, scaffold_files
from onepin_sync.files.writer import append_text, write_new


@dataclass(frozen=True)
class InitSettings:
    folder: Path  # relative to the working directory, or absolute
    ci: str = "github"  # a key of scaffold.CI_RECIPES


@dataclass(frozen=True)
class InitOutcome:
    folder: Path  # as given
    created: tuple[Path, ...]  # relative to the folder, in the order written
    gitignore: str  # "created", "updated" or "unchanged"
    ci: str
    exit_code: int = ExitCode.OK


def run(settings: InitSettings, env: RunEnvironment, ui: Ui) -> InitOutcome:
    root = env.cwd / settings.folder
    if root.exists() and not root.is_dir():
        raise InputError(f"{settings.folder} exists and is not a folder")
    files = scaffold_files(ci=settings.ci, version=__version__)
    existing = [f.path.as_posix() for f in files if (root / f.path).exists()]
    if existing:
        where = "the current folder" if settings.folder == Path(".") else str(settings.folder)
        raise InputError(
            f"init writes nothing: {len(existing)} of its files already exist in {where}: "
            f"{', '.join(existing)} (move them away or use another folder)"
        )
    gitignore = root / GITIGNORE
    try:
        before = read_text(gitignore) if gitignore.exists() else None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{settings.folder / GITIGNORE}: cannot read it ({error})") from None
    addition = gitignore_addition(before or "")
    try:
        for file in files:
            if not write_new(root / file.path, file.text):  # created meanwhile: keep it, stop
                raise InputError(f"{settings.folder / file.path} appeared while init was writing")
        if addition:
            append_text(gitignore, addition)
    except OSError as error:
        raise OnepinSyncError(f"init could not write in {settings.folder}: {error}") from None
    state = "created" if before is None else ("updated" if addition else "unchanged")
    return InitOutcome(settings.folder, tuple(f.path for f in files), state, settings.ci)
