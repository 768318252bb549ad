"""The Python API for notebooks (SPEC section 5): the contract's tables as Polars DataFrames.

    import orgjourney_pipeline

    warehouse = orgjourney_pipeline.open("data/warehouse.duckdb")
    sends = warehouse.table("sends", journey="renewal-reminder", since="2026-01-05")
    days = warehouse.backtest("draft.yaml", "2026-01-01", "2026-01-08")      # per UTC day
    changes = warehouse.diff("renewal-v3.yaml")          # organizations that differ

Each call opens the warehouse read-only for as long as it reads, so a notebook left open never
holds the file that the hourly run writes; while a run writes a window, a call waits for that
window (saying so on standard error). Instants are naive UTC, as stored.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlglot import exp

from orgjourney_pipeline import contract, warehouse
from orgjourney_pipeline.timeutil import parse_instant


class TableError(ValueError):
    """A table, journey or time bound that the warehouse cannot answer for."""


class ReadOnlyWarehouse:
    """A warehouse file, read-only: its contract tables and views (`TABLES`) by name."""

    TABLES = tuple(contract.TIME_COLUMNS)

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no warehouse at {self.path}: ingest and run first")
        # Open once now, so that a file that is no warehouse (or whose schema files were
        # edited since) fails here rather than at the first read.
        warehouse.connect(self.path, read_only=True, on_wait=say_wait).close()

    def explain(
        self, org_id: str, journey: str | None = None, at: str | datetime | None = None
    ) -> pl.DataFrame:
        """`orgjourney explain`'s past decisions of one organization, one row each (journey_id,
        enrollment_id, at, decision, detail), through `at` (default: the last window's end).

        The next run is the command's alone: it runs a rolled-back window, which needs the
        warehouse open for writing, and this API only reads.
        """
        from orgjourney_pipeline import explain as explain_module
        from orgjourney_pipeline.engines.duckdb import DuckDBEngine

        with warehouse.connect(self.path, read_only=True, on_wait=say_wait) as con:
            rows = explain_module.decisions(
                DuckDBEngine(con), org_id, journey, None if at is None else _instant(at)
            )
        columns = ["journey_id", "enrollment_id", "at", "decision", "detail"]
        return pl.DataFrame(rows, schema=columns)

    def backtest(
        self,
        journey_file: str | Path,
        start: str | datetime,
        through: str | datetime,
        table: str | None = None,
        journeys_dir: str | Path | None = None,
    ) -> pl.DataFrame:
        """`orgjourney backtest` of a journey file: its counts per UTC day, or with `table`
        one of its would-be tables (`backtest.OUTPUT_TABLES`, e.g. "sends").

        `journeys_dir` is the folder whose `delivery.yaml` applies (default: the file's own).
        Raises `backtest.BacktestError` for an invalid file or an empty period.
        """
        from orgjourney_pipeline import backtest as backtest_module

        journey = backtest_module.read_journey_file(Path(journey_file))
        result = backtest_module.backtest(
            self.path,
            journey,
            _instant(start),
            _instant(through),
            Path(journeys_dir) if journeys_dir else Path(journey_file).parent,
        )
        if table is None:
            return pl.DataFrame(result.days, schema=["day", *backtest_module.DAILY_COUNTS])
        if table not in result.tables:
            raise TableError(
                f"a backtest has no table {table!r}: choose one of "
                f"{', '.join(backtest_module.OUTPUT_TABLES)}"
            )
        return pl.from_arrow(result.tables[table])

    def diff(
        self,
        journey_file: str | Path,
        start: str | datetime | None = None,
        through: str | datetime | None = None,
        journeys_dir: str | Path | None = None,
    ) -> pl.DataFrame:
        """`orgjourney diff` of a journey file: one row per organization whose entries or
        sends differ from the published version's (kind, and the counts under each)."""
        from orgjourney_pipeline import backtest as backtest_module
        from orgjourney_pipeline import diff as diff_module

        journey = backtest_module.read_journey_file(Path(journey_file))
        result = diff_module.diff(
            self.path,
            journey,
            Path(journeys_dir) if journeys_dir else Path(journey_file).parent,
            None if start is None else _instant(start),
            None if through is None else _instant(through),
        )
        return pl.from_arrow(result.organizations)

    def __repr__(self) -> str:
        return f"ReadOnlyWarehouse({str(self.path)!r})"

    def table(
        self, name: str, journey: str | None = None, since: str | datetime | None = None
    ) -> pl.DataFrame:
        """The rows of a contract table or view: one journey's, those at or after `since`.

        `since` (ISO-8601 text, no offset meaning UTC, or a datetime) bounds the table's time
        column (`contract.TIME_COLUMNS`) inclusively. Raises `TableError` for an unknown
        table or journey, a journey on a table without `journey_id`, or a `since` on a table
        without a time column.
        """
        if name not in contract.TIME_COLUMNS:
            raise TableError(
                f"no table {name!r} in the warehouse: choose one of {', '.join(self.TABLES)}"
            )
        bound = None if since is None else _instant(since)
        time_column = contract.TIME_COLUMNS[name]
        if bound is not None and time_column is None:
            with_time = [table for table, column in contract.TIME_COLUMNS.items() if column]
            raise TableError(
                f"{name} has no time column to bound with since: it applies to "
                f"{', '.join(with_time)}"
            )
        with warehouse.connect(self.path, read_only=True, on_wait=say_wait) as con:
            if journey is not None:
                _check_journey(con, name, journey)
            rows = contract.narrowed(
                exp.select("*").from_(exp.to_table(name)),
                journey_id=journey,
                since=bound,
                time_column=time_column,
            )
            # Arrow's buffers become the DataFrame's: no copy of the rows.
            return pl.from_arrow(con.sql(rows.sql(dialect="duckdb")).to_arrow_table())


def say_wait(reason: str) -> None:
    """Tell a notebook's user, on standard error, why a read waits."""
    print(f"orgjourney: waiting for the warehouse: {reason}", file=sys.stderr)


def _check_journey(con, name: str, journey: str) -> None:
    if "journey_id" not in warehouse.table_columns(con, name):
        raise TableError(f"{name} has no journey_id column: leave journey out")
    if not contract.journey_known(con, journey):
        raise TableError(f"no journey {journey!r} in the warehouse")


def _instant(since: str | datetime) -> datetime:
    """A naive UTC instant, as the warehouse stores them."""
    if isinstance(since, datetime):
        if since.tzinfo is None:
            return since
        return since.astimezone(UTC).replace(tzinfo=None)
    try:
        return parse_instant(since)
    except (TypeError, ValueError) as error:
        raise TableError(
            f"since {since!r} is not an ISO-8601 timestamp (e.g. 2026-01-05T09:00Z)"
        ) from error
