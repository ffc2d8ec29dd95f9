"""Which git commit a run works from, for the reviews and documents that name it.

CI says it in a variable (`GITHUB_SHA` on GitHub Actions, `CI_COMMIT_SHA` on GitLab CI); else,
inside a git work tree, `git rev-parse HEAD` answers. Outside a repository (or without git) there
is none, and nothing is run: the work tree is looked for first, so no process is started for it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

_CI_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA")
_GIT_TIMEOUT = 5.0


def git_commit(environ: Mapping[str, str], cwd: Path) -> str | None:
    """The commit's full id, or None when there is none to name."""
    for name in _CI_VARIABLES:
        if environ.get(name):
            return environ[name].strip()
    if not any((folder / ".git").exists() for folder in (cwd, *cwd.parents)):
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
