"""The emulator is an independent oracle: no module of it imports onepin_sync outside the emulator.

Read from the source with `ast`: every module of the package, and transitively every emulator
module their imports name, including imports inside functions and under `TYPE_CHECKING`.
"""

import ast
from pathlib import Path

import onepin_sync.emulator

PACKAGE = "onepin_sync.emulator"
ROOT = Path(onepin_sync.emulator.__file__).parent


def module_file(module: str) -> Path | None:
    """The source file of an emulator module, or None when the name is not one."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    parts = module.split(".")[2:]
    package = ROOT.joinpath(*parts, "__init__.py")
    if package.is_file():
        return package
    plain = ROOT.joinpath(*parts[:-1], f"{parts[-1]}.py") if parts else None
    return plain if plain is not None and plain.is_file() else None


def imported_names(path: Path, module: str) -> set[str]:
    """Every module `path` imports (`from x import y` counts x and x.y), relative ones resolved."""
    names: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules_on_disk() -> list[str]:
    return sorted(
        ".".join([PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]).removesuffix(".__init__")
        for path in ROOT.rglob("*.py")
    )


def emulator_imports() -> dict[str, set[str]]:
    """Every emulator module (and any its imports reach) -> the onepin_sync names it imports."""
    found: dict[str, set[str]] = {}
    pending = modules_on_disk()
    while pending:
        module = pending.pop()
        path = module_file(module)
        if module in found or path is None:
            continue
        names = {n for n in imported_names(path, module) if n.split(".")[0] == "onepin_sync"}
        found[module] = names
        pending.extend(n for n in names if module_file(n) is not None)
    return found


def test_no_emulator_module_imports_the_rest_of_onepin_sync() -> None:
    imports = emulator_imports()

    outside = {
        module: sorted(n for n in names if n != PACKAGE and not n.startswith(PACKAGE + "."))
        for module, names in imports.items()
    }
    assert {m: names for m, names in outside.items() if names} == {}


def test_the_walk_sees_relative_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    imports = emulator_imports()
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import store\n"
        "from .keys import KeyRing\n"
        "if TYPE_CHECKING:\n"
        "    from onepin_sync.plan import Plan\n"
        "def late() -> None:\n"
        "    import onepin_sync.cli\n"
    )

    assert f"{PACKAGE}.auth_routes" in imports[f"{PACKAGE}.app"]
    assert set(modules_on_disk()) <= set(imports)
    assert imported_names(probe, f"{PACKAGE}.probe") >= {
        f"{PACKAGE}.store",
        f"{PACKAGE}.keys",
        "onepin_sync.plan",
        "onepin_sync.cli",
    }
