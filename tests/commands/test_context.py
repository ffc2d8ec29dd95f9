"""What every command runs in: the Ui learns the run's secrets as soon as the inputs are read,
before any warning is shown or any request is logged."""

from __future__ import annotations

from pathlib import Path

from onepin_sync.commands.context import RunEnvironment, read_inputs
from onepin_sync.core.models import Plan
from onepin_sync.core.redact import MASK, NO_SECRETS, Redactor
from onepin_sync.core.results import ChangeResult
from onepin_sync.files.project import TargetOptions

SECRET = "vt-7Qz93LxPmW"
KEY = "op_live_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"


class RecordingUi:
    """A `Ui` that records what the command tells it, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.redactor = NO_SECRETS

    def set_redactor(self, redactor: Redactor) -> None:
        self.events.append("set_redactor")
        self.redactor = redactor

    def warn(self, message: str) -> None:
        self.events.append(f"warn: {self.redactor.text(message)}")

    def info(self, message: str) -> None:
        self.events.append(f"info: {message}")

    def show_plan(self, plan: Plan, redactor: Redactor) -> None:
        self.events.append("show_plan")

    def confirm(self, question: str) -> bool:
        return False

    def progress(self, result: ChangeResult) -> None:
        self.events.append("progress")


def test_the_ui_masks_secrets_and_the_key_before_anything_is_shown(tmp_path: Path) -> None:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "a.yaml").write_text(
        "name: Hotline ${secret.TOKEN}\ndefinition: {}\n", encoding="utf-8"
    )
    credentials = tmp_path / "home" / ".onepin" / "credentials"
    credentials.parent.mkdir(parents=True)
    credentials.write_text(f'[default]\napi_key = "{KEY}"\n', encoding="utf-8")
    credentials.chmod(0o644)  # readable by others: read_inputs warns about it
    env = RunEnvironment(cwd=tmp_path, home=tmp_path / "home", environ={"TOKEN": SECRET})
    ui = RecordingUi()

    read_inputs(TargetOptions(workflows=workflows), env, ui)

    assert ui.events[0] == "set_redactor"
    assert ui.events[1].startswith(f"warn: {credentials} is readable by other users")
    assert ui.redactor.text(f"GET /x/{SECRET} with {KEY}") == f"GET /x/{MASK} with {MASK}"
