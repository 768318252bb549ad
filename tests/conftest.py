"""Shared fixtures: a fresh warehouse per test, and a CLI runner bound to temporary paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from orgjourney_pipeline import warehouse


@pytest.fixture
def con(tmp_path: Path):
    """A migrated warehouse in a temporary folder."""
    connection = warehouse.connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


@pytest.fixture
def cli_paths(tmp_path: Path) -> dict[str, Path]:
    """Warehouse, journeys, inbox and exports under tmp_path, as global CLI options."""
    paths = {
        "warehouse": tmp_path / "warehouse.duckdb",
        "journeys": tmp_path / "journeys",
        "inbox": tmp_path / "inbox",
        "exports": tmp_path / "exports",
    }
    for key in ("journeys", "inbox"):
        paths[key].mkdir()
    return paths


@pytest.fixture
def orgjourney(cli_paths):
    """Invoke the CLI as a user would, against the temporary paths; returns the click Result."""
    from orgjourney_pipeline.cli import cli

    runner = CliRunner()

    def invoke(*args: str, expect_exit: int | None = 0):
        options = []
        for key, path in cli_paths.items():
            options += [f"--{key}", str(path)]
        result = runner.invoke(cli, [*options, *args], catch_exceptions=False)
        if expect_exit is not None:
            assert result.exit_code == expect_exit, result.output
        return result

    return invoke
