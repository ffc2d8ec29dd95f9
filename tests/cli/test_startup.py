"""Start-up stays lazy: `import onepin_sync.cli`, `--version` and `--help` load click, not the app.

Run in a fresh interpreter (this test process has long since imported everything). The figures
(wall time of `--version`, time to a plan's first request) live in `benchmarks/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from onepin_sync.cli.options import PLAN_FORMATS
from onepin_sync.views.registry import PLAN_VIEWS

HEAVY = (
    "onepin_sync.api",
    "onepin_sync.commands",
    "onepin_sync.core",
    "onepin_sync.emulator",
    "onepin_sync.files",
    "onepin_sync.state",
    "onepin_sync.views",
    "asyncio",
    "boto3",
    "botocore",
    "fastapi",
    "httpx",
    "importlib.metadata",
    "moto",
    "obstore",
    "pydantic",
    "rich",
    "starlette",
    "uvicorn",
    "yaml",
)

PROBE = """
import contextlib, io, json, sys
HEAVY = tuple(sys.argv[1:])
def heavy():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
loaded = {}
import onepin_sync.cli
loaded["import"] = heavy()
shown = {}
for args in (["--version"], ["--help"], ["plan", "--help"], ["apply", "--help"], ["validate", "-h"],
             ["import", "--help"], ["pull", "--help"], ["force-unlock", "--help"]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = onepin_sync.cli.run(args)
    shown[" ".join(args)] = (code, out.getvalue())
    loaded[" ".join(args)] = heavy()
with contextlib.redirect_stdout(io.StringIO()):
    onepin_sync.cli.run(["emulator", "--help"])
out = io.StringIO()
with contextlib.redirect_stdout(out):
    onepin_sync.cli.run(["--help"])
print(json.dumps({"loaded": loaded, "shown": shown, "help_after_emulator": out.getvalue()}))
"""


def probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_import_version_and_help_load_none_of_the_heavy_modules() -> None:
    result = probe()
    loaded = result["loaded"]
    assert isinstance(loaded, dict)
    assert {stage: modules for stage, modules in loaded.items() if modules} == {}
    shown = result["shown"]
    assert isinstance(shown, dict)
    assert all(code == 0 and text for code, text in shown.values())
    assert shown["--version"][1].startswith("onepin-sync, version ")
    # the emulator is listed by its registered help, the same line as once it is loaded
    assert "emulator" in shown["--help"][1]
    assert shown["--help"][1] == result["help_after_emulator"]


def test_plan_formats_are_the_plan_views() -> None:
    assert tuple(PLAN_VIEWS) == PLAN_FORMATS


def test_the_api_client_loads_httpx_without_its_command_line_tool() -> None:
    code = (
        "import sys, onepin_sync.api.client, httpx\n"
        "extra = ('pygments', 'rich.syntax', 'rich.progress')\n"
        "print(sorted(m for m in extra if m in sys.modules))\n"
        "print(sys.modules['httpx._main'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.splitlines() == ["[]", "None"]


def test_off_a_terminal_plan_and_apply_load_no_progress_bars_nor_the_markdown_view() -> None:
    """CI's output is plain lines: rich's progress (7-8 ms to import) is loaded only to draw a
    bar on a terminal, the markdown view (5 ms) only for `--format markdown`."""
    code = (
        "import sys, onepin_sync.commands.apply, onepin_sync.views.registry\n"
        "from onepin_sync.views.console import ConsoleUi\n"
        "ui = ConsoleUi()\n"
        "with ui.bar('Applying', 3) as bar:\n"
        "    bar.advance()\n"
        "ui.listed(1, 3)\n"
        "ui.listed(3, 3)\n"
        "lazy = ('rich.progress', 'onepin_sync.views.bars', 'onepin_sync.views.markdown')\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )

    assert done.stdout.splitlines() == ["[]"]


def test_importing_a_command_builds_no_model_validator() -> None:
    """pydantic builds a model's validator when the model is first used (`defer_build`), not
    as `plan` or `apply` is imported: a command pays only for the models it uses."""
    code = (
        "import sys, pydantic, onepin_sync.commands.apply, onepin_sync.commands.plan\n"
        "def models(cls):\n"
        "    for sub in cls.__subclasses__():\n"
        "        yield sub\n"
        "        yield from models(sub)\n"
        "ours = {m for m in models(pydantic.BaseModel) if m.__module__.startswith('onepin_sync')}\n"
        "print(len(ours), sorted(m.__qualname__ for m in ours if m.__pydantic_complete__))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, built = done.stdout.split(" ", 1)

    assert int(count) > 20  # every model the two commands import
    # only those of the constants made on import: NO_IGNORES, EVERY_KEY, the default Lifecycle()
    assert built.strip() == "['IgnoreRules', 'KeySelection', 'Lifecycle']"


def test_a_run_does_not_look_for_pydantic_plugins() -> None:
    """The console entry point turns pydantic's plugin search off (it reads the entry points of
    every installed package), unless the environment asks for it."""
    code = (
        "import atexit, importlib.metadata, sys\n"
        "scans = []\n"
        "find = importlib.metadata.entry_points\n"
        "def counted(**selection):\n"
        "    scans.append(selection)\n"
        "    return find(**selection)\n"
        "importlib.metadata.entry_points = counted\n"
        "atexit.register(lambda: print(scans, file=sys.stderr))\n"
        "sys.argv = ['onepin-sync', 'validate', '--dir', 'missing-folder']\n"
        "from onepin_sync.cli import main\n"
        "main()\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ)
    asked = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**environ, "PYDANTIC_DISABLE_PLUGINS": ""},
    )

    assert done.stderr.splitlines()[-1] == "[]", done.stderr
    assert asked.stderr.splitlines()[-1] == "[{'group': 'pydantic'}]", asked.stderr
