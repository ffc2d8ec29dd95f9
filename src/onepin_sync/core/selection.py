"""`--target` and `--exclude`: which workflow keys a run plans, applies, pulls or imports.

A pattern is a key (`support/welcome-call`) or a glob over keys (`support/*`, `*-call`; `*`
also matches `/`). With targets, only keys matching one of them are selected; a key matching
an exclude is never selected. Not to be confused with the *workspace target* (environment, base
URL, key: `files/project.py`'s `TargetOptions`). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from onepin_sync.core.models import FrozenModel
from onepin_sync.errors import InputError


class KeySelection(FrozenModel):
    """The keys a run may touch: all of them unless narrowed."""

    targets: tuple[str, ...] = ()  # keys or globs; empty: every key
    excludes: tuple[str, ...] = ()

    @property
    def narrowed(self) -> bool:
        return bool(self.targets or self.excludes)

    def selects(self, key: str) -> bool:
        if self.targets and not any(fnmatchcase(key, t) for t in self.targets):
            return False
        return not any(fnmatchcase(key, e) for e in self.excludes)

    def check_matches(self, keys: Iterable[str]) -> None:
        """Refuse a `--target` that matches none of `keys` (a typo would select nothing)."""
        known = list(keys)
        for pattern in self.targets:
            if not any(fnmatchcase(key, pattern) for key in known):
                raise InputError(
                    f"--target {pattern} matches no workflow (no file, nothing in the lockfile)"
                )

    def describe(self) -> str:
        """`--target a --exclude b`, for the sentence every view shows."""
        return " ".join(
            [*(f"--target {t}" for t in self.targets), *(f"--exclude {e}" for e in self.excludes)]
        )


EVERY_KEY = KeySelection()
