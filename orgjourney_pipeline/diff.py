"""`orgjourney diff`: a journey file beside the published version of its journey.

Both are backtested (`backtest`) over the same windows — by default the last 7 days
processed — and compared: the organizations that enter under only one of them (or whose
sends differ), and the sends gained and lost per step and channel. Only what differs is
listed; a sample of each kind of organization comes with the `explain` command that tells
its story.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orgjourney_pipeline import backtest as backtest_module
from orgjourney_pipeline import journeys, sqlfiles, warehouse
from orgjourney_pipeline.journeys.problems import hint
from orgjourney_pipeline.timeutil import json_instant

DEFAULT_PERIOD = timedelta(days=7)
SAMPLE = 5  # organizations shown of each kind
KINDS = ("only_file", "only_published", "changed")


@dataclass
class DiffResult:
    """What changes if the file is published: per organization, and per step and channel."""

    journey_id: str
    published_version: int
    file_version: int
    start: datetime
    through: datetime
    organizations: pa.Table
    sends: list[dict] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[str]:
        return [row["org_id"] for row in self.organizations.to_pylist() if row["kind"] == kind]

    def explain_command(self, org_id: str) -> str:
        return f"orgjourney explain {org_id} --journey {self.journey_id}"

    def document(self) -> dict:
        """The `diff --json` document (docs/schemas/diff.schema.json)."""
        return {
            "journey_id": self.journey_id,
            "published_version": self.published_version,
            "file_version": self.file_version,
            "from": json_instant(self.start),
            "through": json_instant(self.through),
            "organizations": {kind: self.of_kind(kind) for kind in KINDS},
            "sends": self.sends,
            "samples": [
                {"org_id": org_id, "kind": kind, "explain": self.explain_command(org_id)}
                for kind in KINDS
                for org_id in self.of_kind(kind)[:SAMPLE]
            ],
        }

    def write(self, folder: Path) -> Path:
        """The per-organization differences as `folder/organizations.parquet`."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "organizations.parquet"
        pq.write_table(self.organizations, path)
        return path


def diff(
    source: Path,
    journey: journeys.Journey,
    journeys_dir: Path,
    start: datetime | None = None,
    through: datetime | None = None,
) -> DiffResult:
    """Backtest `journey` and its journey's published version over one period; compare them.

    Raises `backtest.BacktestError` for a journey never published, or a warehouse with no
    processed window to take the default period from.
    """
    published, start, through = _published(Path(source), journey.id, start, through)
    runs = {
        name: backtest_module.backtest(source, version, start, through, journeys_dir)
        for name, version in (("published", published), ("file", journey))
    }
    with duckdb.connect() as con:
        for name, result in runs.items():
            con.register(f"{name}_enrollments", result.tables["enrollments"])
            con.register(f"{name}_sends", result.tables["sends"])
        organizations = con.sql(sqlfiles.load("diff/organizations.sql").sql()).to_arrow_table()
        sends = con.sql(sqlfiles.load("diff/sends_by_step.sql").sql()).to_arrow_table()
    return DiffResult(
        journey.id,
        published.version,
        journey.version,
        runs["file"].start,
        runs["file"].through,
        organizations,
        sends.to_pylist(),
    )


def _published(source: Path, journey_id: str, start, through):
    """The published version of the journey, and the period (default: the last 7 days run)."""
    if not source.is_file():
        raise backtest_module.BacktestError(f"no warehouse at {source}: ingest and run first")
    with warehouse.connect(source, read_only=True) as con:
        query = sqlfiles.load("diff/published_version.sql").sql(journey_id=journey_id)
        found = con.execute(query).fetchall()
        if not found:
            known = [
                row[0]
                for row in con.execute(sqlfiles.load("diff/journey_ids.sql").sql()).fetchall()
            ]
            raise backtest_module.BacktestError(
                f"journey '{journey_id}' has no published version to compare with"
                + hint(journey_id, known)
                + "; backtest the file instead"
            )
        first_start, last_end = con.execute(
            sqlfiles.load("runner/processed_span.sql").sql()
        ).fetchone()
    [(version, definition, file)] = found
    published = journeys.journey_from_definition(json.loads(definition), source=file or "")
    if through is None:
        if last_end is None:
            raise backtest_module.BacktestError(
                "no window processed yet: give --from and --through"
            )
        through = last_end
    if start is None:
        start = (
            max(first_start, through - DEFAULT_PERIOD) if first_start else through - DEFAULT_PERIOD
        )
    return published, start, through
