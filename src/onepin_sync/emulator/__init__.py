"""A local Onepin API emulator: FastAPI + uvicorn + SQLite, with fault injection.

    EmbeddedEmulator   serve in-process on a free loopback port (tests, `--emulator`)
    EmulatorOptions    what one emulator is built from (shared by serve, embedded, create_app)
    EmulatorError      a setup failure (missing extra, bad --db, ...), exit code 3
    create_app         the ASGI app, to serve any other way
    FaultRule          one fault to inject (also the `--fault` and control-endpoint schema)
    EmulatorControl    a typed client of the control endpoint (`/_emulator/`)

Exports load lazily, so `import onepin_sync.emulator.cli` (which the core CLI always does) costs
only click and the standard library, and works without the `[emulator]` extra installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onepin_sync.emulator.app import create_app as create_app
    from onepin_sync.emulator.control import EmulatorControl as EmulatorControl
    from onepin_sync.emulator.control import EmulatorWorkspace as EmulatorWorkspace
    from onepin_sync.emulator.database import DEFAULT_DB_PATH as DEFAULT_DB_PATH
    from onepin_sync.emulator.embedded import EmbeddedEmulator as EmbeddedEmulator
    from onepin_sync.emulator.errors import EmulatorError as EmulatorError
    from onepin_sync.emulator.faults import FaultRule as FaultRule
    from onepin_sync.emulator.keys import DEFAULT_API_KEY as DEFAULT_API_KEY
    from onepin_sync.emulator.keys import DEFAULT_WORKSPACE_ID as DEFAULT_WORKSPACE_ID
    from onepin_sync.emulator.options import EmulatorOptions as EmulatorOptions

_EXPORTS = {
    "DEFAULT_API_KEY": "onepin_sync.emulator.keys",
    "DEFAULT_DB_PATH": "onepin_sync.emulator.database",
    "DEFAULT_WORKSPACE_ID": "onepin_sync.emulator.keys",
    "EmbeddedEmulator": "onepin_sync.emulator.embedded",
    "EmulatorControl": "onepin_sync.emulator.control",
    "EmulatorError": "onepin_sync.emulator.errors",
    "EmulatorOptions": "onepin_sync.emulator.options",
    "EmulatorWorkspace": "onepin_sync.emulator.control",
    "FaultRule": "onepin_sync.emulator.faults",
    "create_app": "onepin_sync.emulator.app",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
