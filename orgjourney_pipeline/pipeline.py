"""The `run` sequence shared by the CLI and the Dagster window asset.

Windows commit one at a time; each committed window's sends and organization updates are
then exported. Exports a crash left out (a window committed, its files not yet written) are
written first, so every committed window ends up exported exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb

from orgjourney_pipeline import exports, sqlfiles, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.windows.run import RunReport, run_windows
from orgjourney_pipeline.windows.window import WindowResult


def run_and_export(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    through: datetime,
    start: datetime | None = None,
    *,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every unprocessed window through `through`, exporting each as it commits.

    One writer at a time: another process is kept out by DuckDB's file lock, another thread
    of this process by `warehouse.exclusive` — it waits, then finds the windows processed.
    """

    def after_window(result: WindowResult) -> None:
        if not dry_run:
            exports.export_window(con, result.window.end, settings.exports)
        if on_window is not None:
            on_window(result)

    with warehouse.exclusive(con):
        if not dry_run:
            exports.remove_partials(settings.exports)
            exports.export_pending_windows(con, settings.exports)
        return run_windows(
            DuckDBEngine(con),
            through,
            start,
            journeys_dir=settings.journeys,
            dry_run=dry_run,
            on_window=after_window,
        )


def processed_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """The start of the first and the end of the last processed window (None: none yet)."""
    return tuple(con.execute(sqlfiles.load("runner/processed_span.sql").sql()).fetchone())
