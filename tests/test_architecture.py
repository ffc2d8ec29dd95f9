"""The layers of the package, checked from the code's own imports, transitively.

    files/ (reading, checking) ────────┐
    api/ (HTTP, the WorkflowApi port) ─┼─> core/ (pure) ─> errors
    state/ (lockfile, journal) ────────┘   (state/ also files/ and the api port)
    commands/ -> files, api, state, core   (and starts the embedded emulator for --emulator)
    views/    -> commands' outcomes, core
    cli/      -> everything; the only place click is imported
    emulator/ -> nothing of the product (an independent oracle of the Onepin API)

Pure modules (all of `core/`, the parsing and checking half of `files/`) reach no IO: no HTTP,
sockets, SQLite, files, environment, clock, terminal or event loop, through any chain of imports.
The rules are a function of an import graph, so a test can show them failing on a made-up one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import onepin_sync

ROOT = "onepin_sync"
PACKAGE_DIR = Path(onepin_sync.__file__).parent

PURE_FILES_MODULES = frozenset(
    f"{ROOT}.files.{name}"
    for name in (
        "discovery",
        "filecheck",
        "fileformat",
        "interpolate",
        "layout",
        "sourcemap",
        "yamlcore",
        "yamlstrict",
        "yamlwriter",
        "extrakeys",
        "roundtrip",
    )
)
IO_LIBRARIES = frozenset(
    {
        "asyncio",
        "click",
        "fcntl",
        "http",
        "httpx",
        "io",
        "os",
        "random",
        "rich",
        "shutil",
        "signal",
        "socket",
        "sqlite3",
        "subprocess",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "uvicorn",
        "fastapi",
    }
)
IO_NAMES = frozenset(
    {
        "environ",
        "getenv",
        "monotonic",
        "now",
        "open",
        "perf_counter",
        "read_bytes",
        "read_text",
        "today",
        "utcnow",
        "write_bytes",
        "write_text",
    }
)
# Which packages of ours each package may import (the root package itself: __version__).
ALLOWED = {
    "core": {"core", "errors"},
    "files": {"files", "core", "errors", "failpoints"},
    "api": {"api", "core", "errors", ""},
    "state": {"state", "api", "files", "core", "errors", "failpoints"},
    "commands": {
        "commands",
        "files",
        "api",
        "state",
        "core",
        "errors",
        "failpoints",
        "emulator",
        "",
    },
    "views": {"views", "commands", "core", "errors", ""},
    "cli": {"cli", "commands", "views", "files", "core", "errors", "failpoints", "emulator", ""},
    "emulator": {"emulator"},
    "errors": set(),
    "failpoints": {"errors"},
    "__main__": {"cli"},
    "": set(),
}
CLICK_PLACES = ("cli", "emulator")  # the emulator's own `serve` command is click too
RICH_PLACES = ("cli", "views")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str) -> tuple[set[str], set[str]]:
    """(modules imported, attribute and function names used) by one source file.

    Imports under `if TYPE_CHECKING:` do not count: they never run.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            imported.add(base)
            # `from onepin_sync.x import y` may import the submodule y.
            imported.update(f"{base}.{alias.name}" for alias in node.names)
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return imported, names


def real_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The package's import graph (our modules only as nodes) and the names each module uses."""
    sources = {module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for name, path in sources.items():
        imported, used = imports_of(path, name)
        graph[name] = {m for m in imported if m in sources or not m.startswith(ROOT)}
        names[name] = used
    return graph, names


def _ours(module: str) -> bool:
    return module == ROOT or module.startswith(ROOT + ".")


def _package(module: str) -> str:
    """`onepin_sync.core.models` -> `core`; `onepin_sync.errors` -> `errors`; root -> ``."""
    return module.removeprefix(ROOT).lstrip(".").split(".")[0]


def _reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for target in graph.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                if _ours(target):
                    stack.append(target)
    return seen


def is_pure(module: str) -> bool:
    return _package(module) == "core" or module in PURE_FILES_MODULES


def violations(
    graph: Mapping[str, set[str]], names: Mapping[str, Iterable[str]] | None = None
) -> list[str]:
    """Every broken rule in `graph` (module -> modules it imports), as readable lines."""
    found: list[str] = []
    for module in sorted(graph):
        if not _ours(module):
            continue
        package = _package(module)
        direct = graph[module]
        for target in sorted(direct):
            top = target.split(".")[0]
            if top == "click" and package not in CLICK_PLACES:
                found.append(f"{module} imports click (only cli/ may)")
            if top == "rich" and package not in RICH_PLACES:
                found.append(f"{module} imports rich (only views/ and cli/ may)")
            if _ours(target) and _package(target) not in ALLOWED.get(package, set()):
                found.append(f"{module} imports {target} ({package}/ may not reach it)")
        if is_pure(module):
            for target in sorted(_reachable(graph, module)):
                if not _ours(target) and target.split(".")[0] in IO_LIBRARIES:
                    found.append(f"{module} (pure) reaches {target}")
            used = set(names.get(module, ())) if names else set()
            found += [f"{module} (pure) uses {name}" for name in sorted(used & IO_NAMES)]
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return found


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One example cycle per strongly connected group of our modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if not _ours(target) or target not in graph or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index and _ours(node):
            visit(node)
    return groups


def test_the_package_keeps_its_layers() -> None:
    graph, names = real_graph()
    assert violations(graph, names) == []


def test_a_core_module_importing_httpx_is_caught() -> None:
    graph = {
        "onepin_sync.core.models": {"onepin_sync.core.fingerprint"},
        "onepin_sync.core.fingerprint": {"httpx"},
    }
    assert violations(graph) == [
        "onepin_sync.core.fingerprint (pure) reaches httpx",
        "onepin_sync.core.models (pure) reaches httpx",
    ]


def test_an_indirect_reach_into_io_is_caught() -> None:
    graph = {
        "onepin_sync.files.filecheck": {"onepin_sync.files.reader"},
        "onepin_sync.files.reader": {"os"},
    }
    assert violations(graph) == ["onepin_sync.files.filecheck (pure) reaches os"]


def test_layer_click_rich_and_cycle_rules_are_caught() -> None:
    graph = {
        "onepin_sync.core.planner": {"onepin_sync.api.client"},
        "onepin_sync.api.client": {"onepin_sync.core.planner"},
        "onepin_sync.commands.plan": {"click", "rich.text"},
        "onepin_sync.emulator.app": {"onepin_sync.core.catalog"},
    }
    assert violations(graph) == [
        "onepin_sync.commands.plan imports click (only cli/ may)",
        "onepin_sync.commands.plan imports rich (only views/ and cli/ may)",
        "onepin_sync.core.planner imports onepin_sync.api.client (core/ may not reach it)",
        "onepin_sync.emulator.app imports onepin_sync.core.catalog (emulator/ may not reach it)",
        "import cycle: onepin_sync.api.client -> onepin_sync.core.planner",
    ]


def test_a_pure_module_calling_the_clock_or_reading_files_is_caught() -> None:
    graph = {"onepin_sync.core.planner": {"datetime"}}
    names = {"onepin_sync.core.planner": {"now", "read_text", "plan_changes"}}
    assert violations(graph, names) == [
        "onepin_sync.core.planner (pure) uses now",
        "onepin_sync.core.planner (pure) uses read_text",
    ]
