"""What `onepin-sync init` writes into a new project, from the templates shipped in the package.

The templates live in `onepin_sync/scaffold/` (package data, so an installed onepin-sync has
them): the project file, one example workflow, the `.gitignore` entries, the CI recipes (copies
of the repository's `examples/ci/`, checked equal by the tests) and the pre-commit hooks (a copy
of `.pre-commit-hooks.yaml`). The pre-commit config is made from those hooks, and the JSON
Schema of the workflow file from `fileformat`, so each has one source.

The project keeps the schema at `SCHEMA_FILE` (committed), and files onepin-sync writes point
their `# yaml-language-server: $schema=` line at it by a relative path: an editor then finds it
in any clone, with no network. Reads only the package's own templates (through `reader`), never
the user's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onepin_sync.files.fileformat import workflow_json_schema_text
from onepin_sync.files.reader import read_packaged

SCHEMA_FILE = Path("schemas") / "workflow.schema.json"
"""Where a project keeps the workflow file's JSON Schema, relative to the project folder."""
SCHEMA_COMMENT = "# yaml-language-server: $schema="
GITIGNORE = Path(".gitignore")

CI_RECIPES: dict[str, dict[str, str]] = {
    "github": {
        ".github/workflows/onepin-plan.yml": "ci/github/onepin-plan.yml",
        ".github/workflows/onepin-apply.yml": "ci/github/onepin-apply.yml",
        ".github/workflows/onepin-drift.yml": "ci/github/onepin-drift.yml",
    },
    "gitlab": {".gitlab-ci.yml": "ci/gitlab/gitlab-ci.yml"},
    "none": {},
}
"""Per CI system: project path -> template. The matrix recipe (one job per environment) is
shipped too (`template("ci/github/onepin-matrix.yml")`) but not written: it replaces plan and
apply once a project has several environments."""


@dataclass(frozen=True)
class ScaffoldFile:
    path: Path  # relative to the project folder
    text: str


def template(name: str) -> str:
    """One template shipped in the package, by its path under `onepin_sync/scaffold/`."""
    return read_packaged(f"scaffold/{name}")


def scaffold_files(*, ci: str, version: str) -> tuple[ScaffoldFile, ...]:
    """Every file `init` creates (all but `.gitignore`, which it may add to), in display order.

    `version` pins the onepin-sync the pre-commit hooks install.
    """
    files = [
        ScaffoldFile(Path("onepin-sync.yaml"), template("onepin-sync.yaml")),
        ScaffoldFile(Path("workflows/welcome-call.yaml"), template("workflows/welcome-call.yaml")),
        ScaffoldFile(SCHEMA_FILE, workflow_json_schema_text()),
        ScaffoldFile(Path(".pre-commit-config.yaml"), pre_commit_config(version)),
    ]
    files += [ScaffoldFile(Path(path), template(name)) for path, name in CI_RECIPES[ci].items()]
    return tuple(files)


def pre_commit_config(version: str) -> str:
    """A `.pre-commit-config.yaml` running onepin-sync's own hooks (its `.pre-commit-hooks.yaml`)
    from the pinned release, as a local repository: it needs no URL of this repository."""
    hooks: list[dict[str, Any]] = yaml.safe_load(template("pre-commit-hooks.yaml"))
    local = [
        {**hook, "additional_dependencies": [f"onepin-sync=={version}"]}
        for hook in hooks
        if hook["id"].startswith("onepin-sync-")
    ]
    header = (
        "# pre-commit (https://pre-commit.com) runs these before every commit, once set up with\n"
        "# `pip install pre-commit && pre-commit install`. They are onepin-sync's own hooks,\n"
        "# installed by pre-commit from the release below; offline, they need no key or secrets.\n"
    )
    body = yaml.safe_dump(
        {"repos": [{"repo": "local", "hooks": local}]}, sort_keys=False, width=100
    )
    return header + body


def gitignore_addition(existing: str) -> str:
    """What to append to a `.gitignore` holding `existing`: each entry it lacks, with the comment
    line above it in the template ("" when it has them all)."""
    present = {line.strip() for line in existing.splitlines()}
    lines = template("gitignore").splitlines()
    added = [
        line
        for comment, entry in zip(lines[::2], lines[1::2], strict=True)
        if entry not in present
        for line in (comment, entry)
    ]
    if not added:
        return ""
    separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
    return separator + "\n".join(added) + "\n"


def schema_comment(written: Path, schema: Path) -> str:
    """The `$schema` line for a file written at `written`, pointing at `schema` by a relative
    path (the caller writes it only when the project has that file: a line pointing nowhere
    helps no editor)."""
    relative = Path(os.path.relpath(schema, written.parent)).as_posix()
    return f"{SCHEMA_COMMENT}{relative}\n"
