"""The layout docs/architecture.md describes, kept: modules that each do one job, arrows down.

- no module of the library is over 600 lines, no function over 80;
- the import graph between the library's modules has no cycle, so every arrow points down:
  the CLI and Dagster on top, nothing imports them; the warehouse at the bottom;
- the journey language (`orgjourney_pipeline.journeys`) imports no engine, no warehouse and
  no database driver.

The reference model (`orgjourney_reference`) is not the library: it is the oracle of the
differential tests, one row-at-a-time reading of SPEC, and `tests/test_reference.py` holds
it to sharing no SQL or compiler code with the engine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("orgjourney_pipeline", "dagster_project")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the library."""
    found = {}
    for package in LIBRARY:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(name: str, path: Path) -> Iterator[str]:
    """Every module name `name` imports (absolute; `from a import b` yields `a` and `a.b`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def unit(name: str) -> str:
    """The part of the library a module belongs to: its package's first level below the top."""
    return ".".join(name.split(".")[:2])


def arrows() -> dict[str, set[str]]:
    """Unit -> the units it imports (the top-level packages themselves are no unit)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        if "." not in name:
            continue
        for target in imports(name, path):
            if target in MODULES and "." in target and unit(target) != unit(name):
                graph.setdefault(unit(name), set()).add(unit(target))
    return graph


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_has_at_most_600_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_function_has_at_most_80_lines(name):
    tree = ast.parse(MODULES[name].read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: {', '.join(long)}"


def test_the_arrows_between_units_all_point_down():
    graph = arrows()
    order: list[str] = []
    visiting: list[str] = []

    def visit(node: str) -> None:
        if node in order:
            return
        assert node not in visiting, "import cycle: " + " -> ".join([*visiting, node])
        visiting.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        visiting.pop()
        order.append(node)

    for node in sorted(graph):
        visit(node)
    assert "orgjourney_pipeline.warehouse" in order


def test_nothing_imports_the_cli_or_dagster():
    tops = ("orgjourney_pipeline.cli", "dagster_project")
    for source, targets in arrows().items():
        if not source.startswith(tops):
            assert not [t for t in targets if t.startswith(tops)], source


def test_the_journey_language_imports_no_engine_and_no_database():
    forbidden = ("duckdb", "pyspark", "orgjourney_pipeline.engines", "orgjourney_pipeline.windows")
    forbidden += ("orgjourney_pipeline.warehouse", "orgjourney_pipeline.catalog")
    for name, path in MODULES.items():
        if name.startswith("orgjourney_pipeline.journeys"):
            bad = [t for t in imports(name, path) if t.startswith(forbidden)]
            assert not bad, f"{name} imports {bad}"
