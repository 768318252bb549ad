"""Shared fixtures: a fresh warehouse per test, and a CLI runner bound to temporary paths.

A test run writes nothing into the working tree: every test works under `tmp_path`, and
Hypothesis keeps its example database and caches in a temporary folder (by default it would
make `.hypothesis/` in the current directory).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgjourney_pipeline import warehouse

# Removed when the process ends; set before any test asks Hypothesis for its storage.
_HYPOTHESIS_STORAGE = tempfile.TemporaryDirectory(prefix="orgjourney-hypothesis-")
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", _HYPOTHESIS_STORAGE.name)


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


class Scenario:
    """A handful of organizations and contacts, journeys and events, driven through the CLI.

    Every `orgs` / `contacts` / `members` / `subscriptions` / `events` call writes a new CSV
    file to the inbox; `run` ingests what is new and processes windows; `rows` queries the
    warehouse.
    """

    def __init__(self, paths: dict[str, Path], invoke):
        self.paths = paths
        self.invoke = invoke
        self.files = 0

    def _write(self, kind: str, rows: list[dict], at: str | None) -> Path:
        self.files += 1
        columns: list[str] = []
        for row in rows:
            columns += [key for key in row if key not in columns]
        if at is not None:
            columns.append("snapshot_at")
        path = self.paths["inbox"] / f"{kind}-{self.files:03d}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                values = [
                    _csv_value(row.get(column)) for column in columns if column != "snapshot_at"
                ]
                writer.writerow(values + ([at] if at is not None else []))
        return path

    def orgs(self, *rows: dict, at: str = "2026-01-01T00:00Z") -> Path:
        return self._write("organizations", list(rows), at)

    def contacts(self, *rows: dict, at: str = "2026-01-01T00:00Z") -> Path:
        return self._write("contacts", list(rows), at)

    def members(self, *pairs: tuple[str, str], at: str = "2026-01-01T00:00Z") -> Path:
        return self._write("memberships", [{"contact_id": c, "org_id": o} for c, o in pairs], at)

    def subscriptions(self, *rows: tuple[str, str, str], at: str = "2026-01-01T00:00Z") -> Path:
        rows_ = [{"contact_id": c, "audience": a, "status": s} for c, a, s in rows]
        return self._write("subscriptions", rows_, at)

    def events(self, *rows: tuple) -> Path:
        """(event_id, contact_id, activity_type, occurred_at[, properties dict])."""
        dicts = [
            {
                "event_id": row[0],
                "contact_id": row[1],
                "activity_type": row[2],
                "occurred_at": row[3],
                "properties": json.dumps(row[4] if len(row) > 4 else {}),
            }
            for row in rows
        ]
        return self._write("activities", dicts, None)

    def journey(self, text: str, name: str | None = None) -> Path:
        text = textwrap.dedent(text)
        journey_id = next(
            line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("id:")
        )
        path = self.paths["journeys"] / f"{name or journey_id}.yaml"
        path.write_text(text)
        return path

    def run(self, through: str, start: str | None = None, *extra: str, expect_exit: int = 0):
        self.invoke("ingest")
        args = ["run", "--through", through, *(["--from", start] if start else []), *extra]
        return self.invoke(*args, expect_exit=expect_exit)

    def rows(self, sql: str, *params) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.paths["warehouse"]), read_only=True) as connection:
            return connection.execute(sql, list(params)).fetchall()

    def enrollments(self, journey_id: str | None = None) -> list[tuple]:
        """(org_id, entered_at 'HH' or ISO, status, end_reason) per enrollment, in order."""
        where = "where journey_id = ?" if journey_id else ""
        return [
            (org, _hhmm(entered), status, reason)
            for org, entered, status, reason in self.rows(
                f"select org_id, entered_at, status, end_reason from enrollments {where} "
                "order by entered_at, org_id",
                *([journey_id] if journey_id else []),
            )
        ]

    def sends(self, journey_id: str | None = None) -> list[tuple]:
        """(run_at, org_id, contact_id, channel, step_id) per send, in order."""
        where = "where journey_id = ?" if journey_id else ""
        return [
            (_hhmm(run_at), org, contact, channel, step)
            for run_at, org, contact, channel, step in self.rows(
                f"select run_at, org_id, contact_id, channel, step_id from sends {where} "
                "order by run_at, org_id, contact_id, step_id",
                *([journey_id] if journey_id else []),
            )
        ]


def _hhmm(moment) -> str:
    """A window end as `MM-DDTHH:MM` — short enough to read in assertions."""
    return moment.strftime("%m-%dT%H:%M") if moment is not None else None


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture
def scenario(cli_paths, orgjourney) -> Scenario:
    """An empty scenario on temporary paths."""
    return Scenario(cli_paths, orgjourney)
