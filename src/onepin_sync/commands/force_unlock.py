"""`force-unlock LOCK_ID`: release the state lock of a holder that is stuck but alive."""

from __future__ import annotations

from dataclasses import dataclass

from onepin_sync.commands.context import RunEnvironment, Ui, read_project
from onepin_sync.errors import ExitCode
from onepin_sync.files.project import TargetOptions


@dataclass(frozen=True)
class ForceUnlockSettings:
    target: TargetOptions
    lock_id: str


@dataclass(frozen=True)
class ForceUnlockOutcome:
    lock_id: str
    exit_code: int = ExitCode.OK


def run(settings: ForceUnlockSettings, env: RunEnvironment, ui: Ui) -> ForceUnlockOutcome:
    _, store = read_project(settings.target, env)
    store.force_unlock(settings.lock_id)
    return ForceUnlockOutcome(settings.lock_id)
