"""The declared dependencies are the ones the code imports: none missing, none unused.

Every absolute import of the repository's packages and tests is mapped to the distribution
that provides it (`importlib.metadata`), and compared with `pyproject.toml`.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Declared, needed, and never imported: what each is for.
NOT_IMPORTED = {
    "dagster-webserver": "the UI of `make dagster` (`dagster dev`)",
    "tzdata": "zoneinfo's time zones on a machine without a system database",
    "pytest-xdist": "`pytest -n 2`",
    "ruff": "lint and format in `make test`",
}
# Imported, and on its way out (not declared): none now. An entry here names a module still
# imported whose import is being removed; a test below notices when it is gone.
LEAVING: set[str] = set()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _packages() -> list[Path]:
    """The repository's Python packages (a folder with an `__init__.py` at the top)."""
    return sorted(path.parent for path in ROOT.glob("*/__init__.py"))


def _first_party() -> set[str]:
    """Names an import may use without a dependency: our packages and the tests' modules."""
    names = {package.name for package in _packages()}
    names |= {path.stem for path in (ROOT / "tests").glob("*.py")}
    names |= {path.parent.name for path in (ROOT / "tests").glob("*/__init__.py")}
    return names


def _imported_modules() -> set[str]:
    """Top-level names of every absolute import in the packages and the tests."""
    names = set()
    for folder in [*_packages(), ROOT / "tests"]:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - _first_party()


def _imported_distributions() -> dict[str, str]:
    """Distribution (normalised) -> the module imported from it."""
    providers = packages_distributions()
    found = {}
    for module in _imported_modules():
        assert module in providers, f"`import {module}`: no installed distribution provides it"
        for distribution in providers[module]:
            found[_normal(distribution)] = module
    return found


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    requirements = [*project["dependencies"], *extras["test"], *extras["spark"]]
    return {_normal(re.match(r"[A-Za-z0-9._-]+", text).group()) for text in requirements}


def test_every_imported_distribution_is_declared():
    imported = _imported_distributions()
    undeclared = {
        distribution: module
        for distribution, module in imported.items()
        if distribution not in _declared() and module not in LEAVING
    }
    assert undeclared == {}, "imported but not declared in pyproject.toml"


def test_every_declared_distribution_is_imported_or_needed_without_an_import():
    unused = _declared() - set(_imported_distributions()) - {_normal(n) for n in NOT_IMPORTED}
    assert unused == set(), "declared in pyproject.toml but never imported"


def test_what_is_leaving_is_still_imported_and_not_declared():
    imported = set(_imported_distributions().values())
    assert imported >= LEAVING, "no longer imported: remove it from LEAVING"
    assert not {_normal(name) for name in LEAVING} & _declared()
