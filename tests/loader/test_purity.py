"""The input side is part of the pure core: no HTTP, terminal, clock or environment access."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import onepin_sync

PACKAGE = Path(onepin_sync.__file__).parent
INPUT_MODULES = [
    "discovery",
    "filecheck",
    "fileformat",
    "interpolate",
    "layout",
    "loader",
    "sourcemap",
    "yamlcore",
    "yamlstrict",
]
CORE_MODULES = {"catalog", "errors", "models", *INPUT_MODULES}
FORBIDDEN_MODULES = {
    "asyncio", "click", "datetime", "http", "httpx", "random", "rich", "socket",
    "subprocess", "threading", "time", "urllib",
}  # fmt: skip
FORBIDDEN_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv"}


@pytest.mark.parametrize("module", INPUT_MODULES)
def test_input_modules_import_only_the_pure_core(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name.split(".")[0] for name in imported} & FORBIDDEN_MODULES
    ours = {name.split(".")[1] for name in imported if name.startswith("onepin_sync.")}
    assert ours <= CORE_MODULES
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & FORBIDDEN_NAMES
