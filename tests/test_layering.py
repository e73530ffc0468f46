"""The library is a house of floors, and no module imports from a floor above its own.

    widgets                        pure functions reading shapes from a counted Cost; the shell
    train, zoo                     the loop, the command line, distributed runs; every model
                                   compared, latency measured
    data, lectures, plot           datasets; the lectures' claims; figures
    cost                           formulas, the counter and its fast path, rendering
    models, ops, backprop, dropout one file per paper, shared layers, the registry; operations,
    batchnorm                      batch norm from scratch
    checks, geometry, html_table,  argument checks, sliding-window sizes, HTML tables, shown
    source                         source code

Every `import` and `from ... import` in lib/ counts, also those inside functions. `lib` itself
(the package's __init__) only names the floors, so importing it is allowed everywhere.
"""
import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"

FLOORS = {
    "lib.checks": 0, "lib.geometry": 0, "lib.html_table": 0, "lib.source": 0,
    "lib.models": 1, "lib.ops": 1, "lib.backprop": 1, "lib.dropout": 1, "lib.batchnorm": 1,
    "lib.cost": 2,
    "lib.data": 3, "lib.lectures": 3, "lib.plot": 3,
    "lib.train": 4, "lib.zoo": 4,
    "lib.widgets": 5,
}


def floor(module: str) -> int | None:
    """The floor of a module of lib: that of the longest prefix in FLOORS."""
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        if ".".join(parts[:n]) in FLOORS:
            return FLOORS[".".join(parts[:n])]
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module of lib that `path` imports, by its full name."""
    found, package = set(), module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("lib.") and floor(m) is not None}


MODULES = sorted(p for p in LIB.rglob("*.py") if p.name != "__init__.py" or p.parent != LIB)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB.parent)))
def test_no_module_imports_from_a_higher_floor(path):
    name = module_name(path)
    assert floor(name) is not None, f"{name} has no floor: add it to FLOORS (and to the sketch)"
    upward = sorted(m for m in imports(path) if floor(m) > floor(name))
    assert not upward, f"{name} (floor {floor(name)}) imports from higher floors: {upward}"


def test_the_walk_finds_imports():
    """The test above would pass vacuously if `imports` found nothing."""
    assert "lib.geometry" in imports(LIB / "cost" / "formulas.py")
    assert "lib.models" in imports(LIB / "cost" / "counter.py")
    assert {"lib.cost", "lib.checks"} <= imports(LIB / "widgets" / "lenet.py")
