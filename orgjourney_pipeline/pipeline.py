"""The `run` sequence shared by the CLI and the Dagster window asset.

Windows commit one at a time; each committed window's sends and organization updates are
then exported. Exports a crash left out (a window committed, its files not yet written) are
written first, so every committed window ends up exported exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from orgjourney_pipeline import exports, sqlfiles, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.windows.run import RunReport, run_windows
from orgjourney_pipeline.windows.window import WindowResult


def run_and_export(
    target: warehouse.Writer | duckdb.DuckDBPyConnection,
    settings: Settings,
    through: datetime,
    start: datetime | None = None,
    *,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every unprocessed window through `through`, exporting each as it commits.

    Given a `warehouse.Writer`, the file is closed after each window's commit and exports, so
    readers open it between windows (SPEC: "Reading while a run writes"); given a connection,
    it stays open throughout (a dry run's one transaction, too). One writer at a time: another
    process is kept out by the run lock (`warehouse.writing`) or DuckDB's file lock, another
    thread of this process by `warehouse.exclusive` — it waits, then finds the windows done.
    """
    writer = target if isinstance(target, warehouse.Writer) else warehouse.Writer.over(target)

    def after_window(result: WindowResult) -> None:
        if not dry_run:
            exports.export_window(writer.con, result.window.end, settings.exports)
            writer.release()
        if on_window is not None:
            on_window(result)

    with warehouse.exclusive(writer.path):
        if not dry_run:
            exports.remove_partials(settings.exports)
            exports.export_pending_windows(writer.con, settings.exports)
        return run_windows(
            DuckDBEngine(writer),
            through,
            start,
            journeys_dir=settings.journeys,
            dry_run=dry_run,
            on_window=after_window,
        )


def processed_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """The start of the first and the end of the last processed window (None: none yet)."""
    return tuple(con.execute(sqlfiles.load("runner/processed_span.sql").sql()).fetchone())


@dataclass(frozen=True)
class ProcessedWindow:
    """A committed window as the `runs` ledger has it."""

    start: datetime
    end: datetime
    started_at: datetime
    finished_at: datetime
    exported: bool  # its export files are complete


def processed_windows(
    con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, limit: int | None = None
) -> list[ProcessedWindow]:
    """The committed windows ending in (`since`, `until`], in order (the first `limit`)."""
    statement = sqlfiles.load("runner/processed_windows.sql").sql(since=since, until=until)
    cursor = con.execute(statement)
    rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
    return [ProcessedWindow(*row) for row in rows]
