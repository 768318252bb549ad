"""Loading and running: `ingest` and `run`, and the reports they print."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orgjourney_pipeline import pipeline, reports, status
from orgjourney_pipeline.cli.group import (
    INSTANT,
    JSON_OPTION,
    cli,
    console,
    errors,
    open_warehouse,
    open_writer,
    print_freshness,
)
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import format_instant, json_instant
from orgjourney_pipeline.windows.plan import floor_hour, plan_windows
from orgjourney_pipeline.windows.run import RunReport

INGEST_FILES_SHOWN = 12


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--as-of", type=INSTANT, help="snapshot_at for snapshot files without that column.")
@click.option("--follow-links", is_flag=True, help="Read links in a folder that point out of it.")
@click.pass_obj
def ingest(
    settings: Settings, paths: tuple[Path, ...], as_of: datetime | None, follow_links: bool
) -> None:
    """Load input files or folders (default: the inbox) into the warehouse.

    Every entry of a folder not loaded is named with why (hidden: skipped; a dangling link, a
    link out of the folder without --follow-links: rejected, and ingest exits 1).
    """
    from orgjourney_pipeline.ingest import ingest_paths

    targets = list(paths) or [settings.inbox]
    missing = [str(path) for path in targets if not path.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    if settings.engine == "spark":
        from orgjourney_pipeline import spark_pipeline

        with spark_engine(settings) as engine:
            report = spark_pipeline.ingest(engine, targets, as_of=as_of, follow_links=follow_links)
    else:
        with open_writer(settings) as writer:
            report = ingest_paths(writer.con, targets, as_of=as_of, follow_links=follow_links)
    print_ingest_report(report)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.option(
    "--through",
    required=True,
    type=INSTANT,
    help="Process windows ending at or before this; `now`: by the start of the current UTC hour.",
)
@click.option(
    "--from", "start", type=INSTANT, help="First window start on a warehouse with none processed."
)
@click.option("--dry-run", is_flag=True, help="Compute and report, then roll back.")
@JSON_OPTION
@click.pass_obj
def run(
    settings: Settings, through: datetime, start: datetime | None, dry_run: bool, as_json: bool
) -> None:
    """Process every unprocessed hourly window ending at or before --through.

    Exits 1 after processing when it stopped a journey (an invalid file, or SQL that fails),
    naming it; the other journeys ran.
    """
    through = floor_hour(through)  # windows end on the hour: `now` is the current hour's start
    if settings.engine == "spark":
        from orgjourney_pipeline import spark_pipeline

        with spark_engine(settings) as engine:
            with open_warehouse(settings, read_only=True) as con:
                data = _freshness(con, through, as_json)
            report = spark_pipeline.run_and_export(
                engine, settings, through, start, dry_run=dry_run
            )
        with open_warehouse(settings, read_only=True) as con:
            journeys = run_journeys(con, report)
    else:
        with open_writer(settings) as writer:
            data = _freshness(writer.con, through, as_json)
            report = run_with_progress(writer, settings, through, start, dry_run=dry_run)
            journeys = run_journeys(writer.con, report)
    stopped = sorted(
        {p.journey_id or p.file for p in report.catalog.errors} if report.catalog else []
    )
    if as_json:
        click.echo(json.dumps(run_document(report, through, data, journeys, stopped), indent=2))
    else:
        print_run_report(report, journeys)
    if stopped:
        errors.print(
            f"error: stopped {len(stopped)} journey(s) for invalid files: {', '.join(stopped)}"
            " (the others ran; `orgjourney validate` lists the problems)",
            soft_wrap=True,
            markup=False,
        )
        sys.exit(1)


def _freshness(con, through: datetime, as_json: bool) -> status.Freshness:
    """What the data reaches before the run; printed unless the output is JSON."""
    data = status.freshness(DuckDBEngine(con), through)
    if as_json:
        for warning in data.warnings():
            errors.print(f"warning: {warning}", markup=False)
    else:
        print_freshness(data)
    return data


@contextlib.contextmanager
def spark_engine(settings: Settings) -> Iterator:
    """A Spark session and engine over the settings' warehouse directory. The session is left
    running: a process's next command reuses it (it ends with the process)."""
    from orgjourney_pipeline import spark_pipeline
    from orgjourney_pipeline.engines.spark.session import JavaMissing

    try:
        engine = spark_pipeline.open_engine(settings)
    except JavaMissing as error:
        raise click.ClickException(str(error)) from error
    yield engine


def print_ingest_report(report) -> None:
    """One line per file (per kind and status when there are many): loaded, known, rejected."""
    table = Table("file", "kind", "status", "loaded", "duplicate", "rejected", title="ingest")
    if len(report.files) <= INGEST_FILES_SHOWN:
        rows = [
            (
                Path(r.file).name,
                r.kind or "?",
                r.status,
                r.rows_loaded,
                r.rows_duplicate,
                r.rows_rejected,
            )
            for r in report.files
        ]
    else:
        groups: dict[tuple[str, str], list[int]] = {}
        for r in report.files:
            totals = groups.setdefault((r.kind or "?", r.status), [0, 0, 0, 0])
            for index, value in enumerate((1, r.rows_loaded, r.rows_duplicate, r.rows_rejected)):
                totals[index] += value
        rows = [
            (f"{files} file(s)", kind, status, loaded, duplicate, rejected)
            for (kind, status), (files, loaded, duplicate, rejected) in groups.items()
        ]
    for row in rows:
        table.add_row(*(str(value) for value in row))
    console.print(table)
    for result in report.files:
        if result.status == "rejected":
            errors.print(f"error: {result.message}")
        elif result.status == "skipped":
            console.print(f"skipped: {result.message}", markup=False, soft_wrap=True)


def run_with_progress(
    target, settings: Settings, through: datetime, start: datetime | None, *, dry_run: bool = False
) -> RunReport:
    """Run and export windows (`target`: a `warehouse.Writer` or a connection), with a
    progress bar when there are several."""
    planned = len(plan_windows(DuckDBEngine(target), through, start).windows)
    with Progress(
        TextColumn("windows"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=planned <= 1,
    ) as progress:
        task = progress.add_task("windows", total=planned)
        return pipeline.run_and_export(
            target,
            settings,
            through,
            start,
            dry_run=dry_run,
            on_window=lambda _result: progress.advance(task),
        )


def run_journeys(con, report: RunReport) -> list[reports.JourneyActivity]:
    """Per journey, what the run's windows did (a dry run: what they computed)."""
    if not report.windows:
        return []
    if report.dry_run:
        totals: dict[str, list[int]] = {}
        for result in report.windows:
            for journey_id, counts in result.journeys.items():
                row = totals.setdefault(journey_id, [0, 0, 0])
                for index, value in enumerate(counts):
                    row[index] += value
        # a dry run writes nothing to read endings from
        return [
            reports.JourneyActivity(journey_id, entered, sent, suppressed, 0, 0)
            for journey_id, (entered, sent, suppressed) in sorted(totals.items())
        ]
    return reports.run_summary(con, report.windows[0].window.start, report.windows[-1].window.end)


def run_document(
    report: RunReport,
    through: datetime,
    data: status.Freshness,
    journeys: list[reports.JourneyActivity],
    stopped: list[str],
) -> dict:
    """The `run --json` document (docs/schemas/run.schema.json)."""
    return {
        "through": json_instant(through),
        "dry_run": report.dry_run,
        "data": data.document(),
        "notes": report.notes,
        "windows": [
            {
                "window_start": json_instant(result.window.start),
                "window_end": json_instant(result.window.end),
                "seconds": round(result.seconds, 3),
                "counts": result.ledger_counts,
            }
            for result in report.windows
        ],
        "journeys": [asdict(row) for row in journeys],
        "stopped": stopped,
        "problems": [str(p) for p in report.catalog.errors] if report.catalog else [],
    }


def print_run_report(report: RunReport, journeys: list[reports.JourneyActivity]) -> None:
    """Notes, the windows processed, and a summary per journey."""
    for note in report.notes:
        console.print(f"note: {note}", markup=False)
    if not report.windows:
        return
    first, last = report.windows[0].window, report.windows[-1].window
    verb = "computed (dry run, rolled back)" if report.dry_run else "processed"
    seconds = sum(result.seconds for result in report.windows)
    console.print(
        f"{verb} {len(report.windows)} window(s) {format_instant(first.start)} .. "
        f"{format_instant(last.end)} in {seconds:.2f} s"
    )
    if report.dry_run:
        table = Table("journey", "entered", "sent", "suppressed", title="journeys (dry run)")
        for row in journeys:
            table.add_row(row.journey_id, str(row.entered), str(row.sent), str(row.suppressed))
    else:
        table = Table(
            "journey", "entered", "sent", "suppressed", "completed", "exited", title="journeys"
        )
        for row in journeys:
            table.add_row(
                row.journey_id,
                str(row.entered),
                str(row.sent),
                str(row.suppressed),
                str(row.completed),
                str(row.exited),
            )
    console.print(table)
