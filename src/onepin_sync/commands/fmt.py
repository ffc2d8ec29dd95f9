"""`fmt [--check] [KEY…]`: lay the workflow files out in the one canonical layout
(`files/roundtrip`), keeping their comments. Offline: reads the project file and the workflows
folder, nothing else.

A file is rewritten only when its canonical text differs, atomically (`files/writer`), and only
after the new text was parsed back strictly and found to hold exactly the same values as the old
one (before interpolation: a `${env.X}` stays as it is, no variable is needed). A file that does
not parse is refused with its problems, and nothing is written at all. `--check` writes nothing
and exits 3 when any file would change, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from onepin_sync.commands.context import RunEnvironment, Ui, read_project
from onepin_sync.core.fingerprint import canonical_json
from onepin_sync.errors import ExitCode, InputError, Problem, WorkflowFileError
from onepin_sync.files.loader import TOP_LEVEL
from onepin_sync.files.project import TargetOptions
from onepin_sync.files.reader import (
    find_workflow_files,
    line_ends,
    read_workflow_text,
    with_line_ends,
)
from onepin_sync.files.roundtrip import RoundTripError, canonical_text
from onepin_sync.files.writer import atomic_write
from onepin_sync.files.yamlstrict import parse_document


@dataclass(frozen=True)
class FmtSettings:
    target: TargetOptions
    keys: tuple[str, ...] = ()  # empty: every workflow file
    check: bool = False  # list the files that would change; write nothing


@dataclass(frozen=True)
class FmtOutcome:
    changed: tuple[str, ...]  # files rewritten (or, with check, that would be), as displayed
    checked: int  # files looked at
    check: bool = False

    @property
    def exit_code(self) -> int:
        return ExitCode.INVALID_INPUT if self.check and self.changed else ExitCode.OK


def run(settings: FmtSettings, env: RunEnvironment, ui: Ui) -> FmtOutcome:
    paths, _ = read_project(settings.target, env)
    if not paths.workflows.is_dir():
        raise InputError(f"workflows folder {paths.workflows} does not exist")
    refs, problems = find_workflow_files(paths.workflows, paths.own_files)
    if problems:
        raise WorkflowFileError(problems)
    by_key = {ref.key: ref for ref in refs}
    unknown = [key for key in settings.keys if key not in by_key]
    if unknown:
        raise InputError(f"no workflow file for: {', '.join(unknown)}")
    chosen = [by_key[key] for key in settings.keys] if settings.keys else refs
    rewritten: list[tuple[Path, str, str]] = []
    problems = []
    for ref in chosen:
        old, undecodable = read_workflow_text(ref.path)
        if undecodable is not None:
            line, column = undecodable.line, undecodable.column
            problems.append(Problem(ref.display, line, column, undecodable.message))
            continue
        text, newline = line_ends(old)  # a Windows checkout's line ends are kept
        new, found = _formatted(text, ref.display)
        problems += found
        new = with_line_ends(new, newline)
        if not found and new != old:
            rewritten.append((ref.path, ref.display, new))
    if problems:
        raise WorkflowFileError(problems)
    if not settings.check:
        for path, _, text in rewritten:
            atomic_write(path, text)
    return FmtOutcome(tuple(shown for _, shown, _ in rewritten), len(chosen), settings.check)


def _formatted(old: str, display: str) -> tuple[str, list[Problem]]:
    """The canonical text of a file, or the problems that keep it from being formatted."""
    before, found = parse_document(old, top_level=TOP_LEVEL)
    if found:
        return old, [Problem(display, p.line, p.column, p.message) for p in found]
    try:
        new = canonical_text(old)
    except RoundTripError as exc:
        return old, [Problem(display, None, None, str(exc))]
    after, again = parse_document(new, top_level=TOP_LEVEL)
    if again or not _same_values(before, after):
        message = "fmt could not lay this file out without changing its values (please report it)"
        return old, [Problem(display, None, None, message)]
    return new, []


def _same_values(before: object, after: object) -> bool:
    """Type-strict equality (`1` and `1.0` differ, as they do in a fingerprint)."""
    try:
        return canonical_json(before) == canonical_json(after)
    except ValueError:  # NaN or infinity somewhere: compare as Python values
        return before == after
