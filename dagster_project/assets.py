"""The two assets: ingest, which writes the input tables, and the hourly journey windows,
which write the window tables and the exports.

Both are `multi_asset`s whose assets are the contract's tables (`tables.py`), and both call
the same library functions as the CLI (`ingest_paths`, `run_and_export`, or their Spark
counterparts in `spark_pipeline`: the resource's `writer()` picks the engine); this module
only maps Dagster's config and partitions onto them and reports what they did.

Choices:
- the window tables are partitioned by UTC hour from ORGJOURNEY_START (default 2026-10-01);
  the partitions only bound what Dagster offers, the warehouse's `runs` ledger stays the
  truth about which windows are processed, and Dagster is told it: a partition is recorded
  only for a window in the ledger, with the rows that window wrote.
- Windows run in order, as with `orgjourney run`: materializing an hour processes every
  unprocessed window up to that hour's end, and the earlier ones it catches up are recorded
  as their own partitions. An hour already processed is not processed again, and recorded
  again from the ledger (`processed_by` says so); an hour before the first window the
  warehouse ever processed is history, never processed (SPEC section 2), and not recorded: a
  run of such hours only fails, saying why.
- `BackfillPolicy.single_run()`: a backfill over a range of hours is one run, one
  connection and one read of the journey files, processing the windows in order through the
  last partition's end, each window in its own transaction.
- Both assets take the `orgjourney_warehouse` pool: DuckDB allows one writing process, and
  a Spark warehouse one writer (its lock).
- The asset checks are evaluated by the assets after the writes, on the writer's connection
  (on Spark, a reader of the committed tables): the window's over the windows of the run
  only.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of asset and
# sensor functions at definition time to find their config and resources.
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from orgjourney_pipeline import catalog, ingest, pipeline, reports, warehouse
from orgjourney_pipeline.engines.spark.session import JavaMissing
from orgjourney_pipeline.pipeline import processed_span
from orgjourney_pipeline.timeutil import format_instant, parse_instant
from orgjourney_pipeline.windows.plan import HOUR, floor_hour
from orgjourney_pipeline.windows.run import RunReport
from orgjourney_pipeline.windows.window import WindowResult

from . import tables
from .checks import (
    input_check_results,
    input_check_specs,
    output_check_results,
    output_check_specs,
)
from .resources import OrgjourneyResource, WarehouseWriter

# Every asset that writes the warehouse takes this pool. DuckDB allows one writing process per
# file, so the Dagster instance gives the pool a limit of 1 (see dagster_project/dagster.yaml).
WAREHOUSE_POOL = "orgjourney_warehouse"

# The first hour Dagster offers as a partition: ORGJOURNEY_START, else this.
START_ENV = "ORGJOURNEY_START"
DEFAULT_FIRST_WINDOW = "2026-10-01"


def window_partitions(first_window: str | None = None) -> dg.HourlyPartitionsDefinition:
    """The UTC hours offered as the window tables' partitions, from the first window on.

    `first_window` is an ISO-8601 date or instant (floored to the hour); without it,
    ORGJOURNEY_START, else 2026-10-01. It is read when the code location loads, not at
    import. Earlier windows can still be processed with the CLI; Dagster does not show them.
    """
    text = first_window or os.environ.get(START_ENV) or DEFAULT_FIRST_WINDOW
    try:
        start = floor_hour(parse_instant(text))
    except ValueError as error:
        raise ValueError(
            f"first window {text!r} ({START_ENV}) is not an ISO-8601 date or instant, "
            "e.g. 2026-10-01 or 2026-10-01T06:00Z"
        ) from error
    return dg.HourlyPartitionsDefinition(
        start_date=start.strftime("%Y-%m-%d-%H:%M"), timezone="UTC"
    )


def build_assets(partitions_def: dg.HourlyPartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The ingest asset (the input tables) and the window asset (partitioned by window)."""
    return [build_inputs(), build_journey_windows(partitions_def)]


class InboxConfig(dg.Config):
    """Run config of the ingest asset, as the options of `orgjourney ingest`."""

    as_of: str | None = Field(
        default=None,
        description=(
            "snapshot_at for snapshot files without that column (ISO-8601, no offset = UTC), "
            "like `ingest --as-of`; default: load time."
        ),
    )


def build_inputs() -> dg.AssetsDefinition:
    """The ingest asset: the input tables, each checked after the load."""
    return dg.multi_asset(
        name="inputs",
        specs=tables.input_specs(),
        check_specs=input_check_specs(),
        pool=WAREHOUSE_POOL,
        group_name=tables.GROUP,
    )(inputs)


def inputs(
    context: dg.AssetExecutionContext, config: InboxConfig, orgjourney: OrgjourneyResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Every file of the inbox loaded into the warehouse once (`orgjourney ingest`).

    Rows are loaded, known duplicates or rejected with a reason (`rejected_rows`). A file
    rejected whole fails the run after the other files have loaded, so the windows wait for
    it to be fixed rather than run without it. Each input table is then materialized with
    its rows and what this run loaded into it, and checked.
    """
    inbox = orgjourney.settings().inbox
    if not inbox.exists():
        raise dg.Failure(
            f"no such inbox folder: {inbox} (set ORGJOURNEY_INBOX or the resource's `inbox`)"
        )
    as_of = _parse_as_of(config.as_of)

    def progress(result: ingest.FileResult) -> None:
        context.log.info(
            f"{result.file}: {result.status} ({result.kind or '?'}), {result.rows_loaded} "
            f"loaded, {result.rows_duplicate} duplicate, {result.rows_rejected} rejected"
        )

    with user_errors(), orgjourney.writer() as writer:
        report = writer.ingest([inbox], as_of=as_of, progress=progress)
        rejected = [result for result in report.files if result.status == "rejected"]
        if rejected:
            raise dg.Failure(
                description="file(s) rejected whole, nothing of them loaded: "
                + "; ".join(result.message or result.file for result in rejected),
                metadata={"files": dg.MetadataValue.md(_files_table(report.files))},
            )
        with writer.reading() as con:
            materialized = [
                dg.MaterializeResult(
                    asset_key=table,
                    metadata={
                        **tables.table_metadata(con, table),
                        **ingest_metadata(report, table),
                    },
                )
                for table in tables.INPUT_TABLES
            ]
            results = input_check_results(con)
    yield from materialized
    yield from results


def build_journey_windows(partitions_def: dg.HourlyPartitionsDefinition) -> dg.AssetsDefinition:
    """The window asset over `partitions_def`, single-run backfills, in the pool."""

    @dg.multi_asset(
        name="journey_windows",
        specs=tables.window_specs(partitions_def),
        check_specs=output_check_specs(),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        group_name=tables.GROUP,
    )
    def journey_windows(
        context: dg.AssetExecutionContext, orgjourney: OrgjourneyResource
    ) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
        """The hourly windows of a partition (range), processed in order (`orgjourney run`).

        Unprocessed windows before the range are processed first and recorded as their own
        partitions; windows already processed are not processed again. Each window's tables
        and exports are recorded as its partition, with the rows it wrote; a partition
        before the first processed window is history and is not recorded. The output checks
        then run over these windows.
        """
        time_window = context.partition_time_window
        range_start, range_end = (
            tables.naive_utc(time_window.start),
            tables.naive_utc(time_window.end),
        )
        with user_errors(), orgjourney.writer() as writer:
            report = process_windows(context, writer, range_start, range_end)
            with writer.reading() as con:
                log_run(context, con, report, range_start, range_end)
                processed_now = {result.window.start: "this run" for result in report.windows}
                since = min([range_start, *processed_now])
                windows = pipeline.processed_windows(con, since, range_end)
                events = tables.window_materializations(con, partitions_def, windows, processed_now)
                if not events:
                    raise dg.Failure(
                        f"nothing processed: the hours {format_instant(range_start)} .. "
                        f"{format_instant(range_end)} lie before the first processed window, so "
                        "their activity is history and they are never processed (SPEC section 2)"
                    )
                results = output_check_results(
                    con, windows[0].start, windows[-1].end, writer.settings.journeys
                )
        yield from events
        yield from results

    return journey_windows


def process_windows(
    context: dg.AssetExecutionContext,
    writer: WarehouseWriter,
    range_start: datetime,
    range_end: datetime,
) -> RunReport:
    """`orgjourney run` through the range's end, logging each window as it commits."""

    def on_window(result: WindowResult) -> None:
        window = result.window
        context.log.info(
            f"processed window {format_instant(window.start)} .. "
            f"{format_instant(window.end)} in {result.seconds:.2f} s"
        )

    # The warehouse continues after its last processed window; the range's start only
    # matters on a warehouse that has processed none (as `run --from`).
    with writer.reading(["runs"]) as con:
        _, last_end = processed_span(con)
    return writer.run_and_export(
        range_end, range_start if last_end is None else None, on_window=on_window
    )


def log_run(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    report: RunReport,
    range_start: datetime,
    range_end: datetime,
) -> None:
    """The run's notes, and what each journey did in its windows (read after the run)."""
    first_start, _ = processed_span(con)
    for note in window_notes(report, range_start, range_end, first_start):
        if note.startswith("journey stopped"):
            context.log.warning(note)
        else:
            context.log.info(note)
    if report.windows:
        summary = reports.run_summary(
            con, report.windows[0].window.start, report.windows[-1].window.end
        )
        context.log.info("journeys of the run:\n" + _journeys_table(summary))


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors a user can act on become a plain failure message, as the CLI prints them."""
    try:
        yield
    except (
        warehouse.WarehouseBusy,
        catalog.PublishedVersionChanged,
        catalog.DeliveryRulesInvalid,
        JavaMissing,
    ) as error:
        raise dg.Failure(str(error)) from error


def ingest_metadata(report: ingest.IngestReport, kind: str) -> dict[str, object]:
    """Files and rows of one kind this ingest loaded, found again, or rejected."""
    files = [result for result in report.files if result.kind == kind]
    statuses = Counter(result.status for result in files)
    metadata: dict[str, object] = {
        "files_loaded": statuses["loaded"],
        "files_already_loaded": statuses["already_loaded"],
    }
    for measure in ("rows_loaded", "rows_duplicate", "rows_rejected"):
        metadata[measure] = sum(getattr(result, measure) for result in files)
    if files:
        metadata["files"] = dg.MetadataValue.md(_files_table(files))
    return metadata


def window_notes(
    report: RunReport,
    range_start: datetime,
    range_end: datetime,
    first_processed_start: datetime | None,
) -> list[str]:
    """The run's notes, and how many hours of the range lie before the first window."""
    hours = [range_start + index * HOUR for index in range(_hours(range_start, range_end))]
    history = [
        hour
        for hour in hours
        if first_processed_start is None or hour + HOUR <= first_processed_start
    ]
    notes = list(report.notes)
    if history:
        notes.append(
            f"{len(history)} hour(s) from {format_instant(history[0])} lie before the first "
            "processed window: their activity is history, they are never processed and "
            "their partitions stay missing"
        )
    return notes


def _hours(start: datetime, end: datetime) -> int:
    return int((end - start) / HOUR)


def _parse_as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        raise dg.Failure(
            f"as_of {text!r} is not an ISO-8601 timestamp (e.g. 2026-01-05T09:00Z)"
        ) from error


def _journeys_table(summary: list[reports.JourneyActivity]) -> str:
    lines = [
        "| journey | entered | sent | suppressed | completed | exited |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary:
        lines.append(
            f"| {row.journey_id} | {row.entered} | {row.sent} | {row.suppressed} | "
            f"{row.completed} | {row.exited} |"
        )
    return "\n".join(lines)


def _files_table(files: list[ingest.FileResult]) -> str:
    lines = [
        "| file | kind | status | loaded | duplicate | rejected |",
        "|---|---|---|---|---|---|",
    ]
    for result in files:
        lines.append(
            f"| {Path(result.file).name} | {result.kind or '?'} | "
            f"{result.status} | {result.rows_loaded} | {result.rows_duplicate} | "
            f"{result.rows_rejected} |"
        )
    return "\n".join(lines)
