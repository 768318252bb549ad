"""The two assets: the inbox loaded into the warehouse, and the hourly journey windows.

Both call the same library functions as the CLI (`ingest_paths`, `run_windows`, the window
exports); this module only maps Dagster's config and partitions onto them and reports what
they did as metadata.

Choices:
- `journey_window` is partitioned by UTC hour from ORGJOURNEY_START (default 2026-10-01);
  the partitions only bound what Dagster offers, the warehouse's `runs` ledger stays the
  truth about which windows are processed.
- Windows run in order, as with `orgjourney run`: materializing an hour processes every
  unprocessed window up to that hour's end, and the earlier ones it catches up are recorded
  as materializations of their own partitions. An hour already processed is reported, not
  processed again; an hour before the first window the warehouse ever processed is history
  and is never processed (SPEC section 2).
- `BackfillPolicy.single_run()`: a backfill over a range of hours is one run, one
  connection and one read of the journey files, processing the windows in order through the
  last partition's end, each window in its own transaction.
- Both assets take the `orgjourney_warehouse` pool: DuckDB allows one writing process.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of asset and
# sensor functions at definition time to find their config and resources.
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from orgjourney_pipeline import catalog, ingest, pipeline, reports, warehouse
from orgjourney_pipeline.pipeline import processed_span
from orgjourney_pipeline.timeutil import format_instant, parse_instant
from orgjourney_pipeline.windows.plan import HOUR, floor_hour
from orgjourney_pipeline.windows.run import RunReport
from orgjourney_pipeline.windows.window import WindowResult

from .resources import OrgjourneyResource

GROUP = "orgjourney"

# Every asset that writes the warehouse takes this pool. DuckDB allows one writing process per
# file, so the Dagster instance gives the pool a limit of 1 (see dagster_project/dagster.yaml).
WAREHOUSE_POOL = "orgjourney_warehouse"

# The first hour Dagster offers as a partition: ORGJOURNEY_START, else this.
START_ENV = "ORGJOURNEY_START"
DEFAULT_FIRST_WINDOW = "2026-10-01"


def window_partitions(first_window: str | None = None) -> dg.HourlyPartitionsDefinition:
    """The UTC hours offered as `journey_window` partitions, from the first window on.

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
    """`inbox_files` and `journey_window` (partitioned by `partitions_def`)."""
    return [inbox_files, build_journey_window(partitions_def)]


class InboxConfig(dg.Config):
    """Run config of `inbox_files`, as the options of `orgjourney ingest`."""

    as_of: str | None = Field(
        default=None,
        description=(
            "snapshot_at for snapshot files without that column (ISO-8601, no offset = UTC), "
            "like `ingest --as-of`; default: load time."
        ),
    )


@dg.asset(
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    group_name=GROUP,
)
def inbox_files(
    context: dg.AssetExecutionContext, config: InboxConfig, orgjourney: OrgjourneyResource
) -> dg.MaterializeResult:
    """Every file of the inbox loaded into the warehouse once (`orgjourney ingest`).

    Rows are loaded, known duplicates or rejected with a reason (`rejected_rows`). A file
    rejected whole fails the run after the other files have loaded, so the windows wait for
    it to be fixed rather than run without it.
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

    with user_errors(), orgjourney.connect() as con:
        report = ingest.ingest_paths(con, [inbox], as_of=as_of, progress=progress)
    metadata = ingest_metadata(report)
    rejected = [result for result in report.files if result.status == "rejected"]
    if rejected:
        raise dg.Failure(
            description="file(s) rejected whole, nothing of them loaded: "
            + "; ".join(result.message or result.file for result in rejected),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


def build_journey_window(partitions_def: dg.HourlyPartitionsDefinition) -> dg.AssetsDefinition:
    """The `journey_window` asset over `partitions_def`, single-run backfills, in the pool."""
    first_partition_start = naive_utc(partitions_def.start)

    @dg.asset(
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[inbox_files],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        group_name=GROUP,
    )
    def journey_window(
        context: dg.AssetExecutionContext, orgjourney: OrgjourneyResource
    ) -> dg.MaterializeResult:
        """The hourly windows of a partition (range), processed in order (`orgjourney run`).

        Unprocessed windows before the range are processed first and recorded as their own
        partitions; windows already processed are skipped. Each committed window's sends and
        org updates are exported, as the CLI does.
        """
        settings = orgjourney.settings()
        range_start, range_end = (
            naive_utc(context.partition_time_window.start),
            naive_utc(context.partition_time_window.end),
        )

        with user_errors(), orgjourney.connect() as con:

            def on_window(result: WindowResult) -> None:
                window = result.window
                context.log.info(
                    f"processed window {format_instant(window.start)} .. "
                    f"{format_instant(window.end)} in {result.seconds:.2f} s"
                )
                if first_partition_start <= window.start < range_start:
                    # A catch-up window before the range: record it as its own partition.
                    context.log_event(
                        dg.AssetMaterialization(
                            asset_key=context.asset_key,
                            partition=window.start.strftime(partitions_def.fmt),
                            metadata={
                                "caught_up_by_run": context.run_id,
                                **journey_counts([result]),
                                **step_rows(result.counts),
                            },
                        )
                    )

            # The warehouse continues after its last processed window; the range's start only
            # matters on a warehouse that has processed none (as `run --from`).
            _, last_end = processed_span(con)
            # The same sequence as `orgjourney run`.
            report = pipeline.run_and_export(
                con,
                settings,
                range_end,
                range_start if last_end is None else None,
                on_window=on_window,
            )
            first_start, _ = processed_span(con)
            metadata = window_metadata(report, range_start, range_end, first_start)
            if report.windows:
                summary = reports.run_summary(
                    con, report.windows[0].window.start, report.windows[-1].window.end
                )
                metadata["journeys"] = dg.MetadataValue.md(_journeys_table(summary))
        for note in str(metadata["notes"]).splitlines():
            if note.startswith("journey stopped"):
                context.log.warning(note)
            else:
                context.log.info(note)
        return dg.MaterializeResult(metadata=metadata)

    return journey_window


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors a user can act on become a plain failure message, as the CLI prints them."""
    try:
        yield
    except (
        warehouse.WarehouseBusy,
        catalog.PublishedVersionChanged,
        catalog.DeliveryRulesInvalid,
    ) as error:
        raise dg.Failure(str(error)) from error


def ingest_metadata(report: ingest.IngestReport) -> dict[str, object]:
    """Files and rows loaded, known and rejected: in total and per kind."""
    statuses = Counter(result.status for result in report.files)
    metadata: dict[str, object] = {
        "files_loaded": statuses["loaded"],
        "files_already_loaded": statuses["already_loaded"],
        "files_rejected": statuses["rejected"],
        "files_skipped": statuses["skipped"],
    }
    for measure in ("rows_loaded", "rows_duplicate", "rows_rejected"):
        metadata[measure] = sum(getattr(result, measure) for result in report.files)
        per_kind: Counter[str] = Counter()
        for result in report.files:
            per_kind[result.kind or "unknown"] += getattr(result, measure)
        for kind, rows in sorted(per_kind.items()):
            metadata[f"{measure}/{kind}"] = rows
    metadata["dagster/row_count"] = metadata["rows_loaded"]
    metadata["files"] = dg.MetadataValue.md(_files_table(report))
    return metadata


def window_metadata(
    report: RunReport,
    range_start: datetime,
    range_end: datetime,
    first_processed_start: datetime | None,
) -> dict[str, object]:
    """Windows processed, caught up, already processed or history; entries and sends."""
    hours = [range_start + index * HOUR for index in range(_hours(range_start, range_end))]
    processed_now = {result.window.start for result in report.windows}
    history = [
        hour
        for hour in hours
        if first_processed_start is None or hour + HOUR <= first_processed_start
    ]
    notes = list(report.notes)
    if history:
        notes.append(
            f"{len(history)} hour(s) from {format_instant(history[0])} lie before the first "
            "processed window: their activity is history and they are never processed"
        )
    processed = [result.window for result in report.windows]
    metadata: dict[str, object] = {
        "window_range": f"{format_instant(range_start)} .. {format_instant(range_end)}",
        "windows_in_range": len(hours),
        "windows_processed": len(report.windows),
        "windows_caught_up": sum(1 for start in processed_now if start < range_start),
        "windows_already_processed": len(hours)
        - len(history)
        - sum(1 for hour in hours if hour in processed_now),
        "windows_before_first_window": len(history),
        "processed": (
            f"{format_instant(processed[0].start)} .. {format_instant(processed[-1].end)}"
            if processed
            else "none"
        ),
        "seconds": round(sum(result.seconds for result in report.windows), 3),
        "notes": "\n".join(notes),
    }
    metadata.update(journey_counts(report.windows))
    totals: Counter[str] = Counter()
    for result in report.windows:
        totals.update(result.counts)
    metadata.update(step_rows(totals))
    return metadata


def journey_counts(windows: list[WindowResult]) -> dict[str, int]:
    """Organizations entered, messages sent and suppressed: in total and per journey."""
    per_journey: dict[str, Counter[str]] = {}
    for result in windows:
        for journey_id, (entered, sent, suppressed) in result.journeys.items():
            counts = per_journey.setdefault(journey_id, Counter())
            counts.update({"entered": entered, "sent": sent, "suppressed": suppressed})
    metadata: dict[str, int] = {}
    for measure in ("entered", "sent", "suppressed"):
        metadata[measure] = sum(counts[measure] for counts in per_journey.values())
        for journey_id, counts in sorted(per_journey.items()):
            metadata[f"{measure}/{journey_id}"] = counts[measure]
    return metadata


def step_rows(counts: dict[str, int]) -> dict[str, int]:
    """Rows written per window step, as numeric metadata Dagster can plot."""
    return {f"rows/{step}": rows for step, rows in counts.items()}


def naive_utc(instant: datetime) -> datetime:
    """A partition bound as the warehouse stores instants: naive UTC."""
    return instant.astimezone(UTC).replace(tzinfo=None)


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


def _files_table(report: ingest.IngestReport) -> str:
    lines = [
        "| file | kind | status | loaded | duplicate | rejected |",
        "|---|---|---|---|---|---|",
    ]
    for result in report.files:
        lines.append(
            f"| {Path(result.file).name} | {result.kind or '?'} | "
            f"{result.status} | {result.rows_loaded} | {result.rows_duplicate} | "
            f"{result.rows_rejected} |"
        )
    return "\n".join(lines)
