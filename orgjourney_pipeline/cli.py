"""The command line: thin — parse arguments, call the library, print what happened."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orgjourney_pipeline import engine, warehouse
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import format_instant, parse_instant

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


class Instant(click.ParamType):
    """An ISO-8601 instant on the command line (no offset means UTC)."""

    name = "TIMESTAMP"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(value)
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO-8601 timestamp (e.g. 2026-01-05T09:00Z)", param, ctx
            )


INSTANT = Instant()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--warehouse", type=click.Path(path_type=Path), help="DuckDB file [ORGJOURNEY_WAREHOUSE]."
)
@click.option(
    "--journeys", type=click.Path(path_type=Path), help="Journey YAML folder [ORGJOURNEY_JOURNEYS]."
)
@click.option(
    "--inbox", type=click.Path(path_type=Path), help="Input files folder [ORGJOURNEY_INBOX]."
)
@click.option(
    "--exports", type=click.Path(path_type=Path), help="Exports folder [ORGJOURNEY_EXPORTS]."
)
@click.pass_context
def cli(ctx: click.Context, warehouse, journeys, inbox, exports) -> None:
    """orgjourney: organization journeys, evaluated in the warehouse."""
    ctx.obj = Settings.resolve(warehouse=warehouse, journeys=journeys, inbox=inbox, exports=exports)


def main() -> None:
    """Console script entry point: errors the user can act on become one clear line, exit 1."""
    try:
        cli(standalone_mode=True)
    except warehouse.WarehouseBusy as error:
        errors.print(f"error: {error}")
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--as-of", type=INSTANT, help="snapshot_at for snapshot files without that column.")
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...], as_of: datetime | None) -> None:
    """Load input files or folders (default: the inbox) into the warehouse."""
    from orgjourney_pipeline.ingest import ingest_paths

    targets = list(paths) or [settings.inbox]
    missing = [str(path) for path in targets if not path.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    con = warehouse.connect(settings.warehouse)
    report = ingest_paths(con, targets, as_of=as_of)
    print_ingest_report(report)
    if not report.ok:
        sys.exit(1)


def print_ingest_report(report) -> None:
    """One line per file: what was loaded, known, rejected."""
    table = Table("file", "kind", "status", "loaded", "duplicate", "rejected", title="ingest")
    for result in report.files:
        table.add_row(
            Path(result.file).name,
            result.kind or "?",
            result.status,
            str(result.rows_loaded),
            str(result.rows_duplicate),
            str(result.rows_rejected),
        )
    console.print(table)
    for result in report.files:
        if result.status == "rejected":
            errors.print(f"error: {result.message}")


@cli.command()
@click.option(
    "--through", required=True, type=INSTANT, help="Process windows ending at or before this."
)
@click.option(
    "--from", "start", type=INSTANT, help="First window start on a warehouse with none processed."
)
@click.option("--dry-run", is_flag=True, help="Compute and report, then roll back.")
@click.pass_obj
def run(settings: Settings, through: datetime, start: datetime | None, dry_run: bool) -> None:
    """Process every unprocessed hourly window ending at or before --through."""
    con = warehouse.connect(settings.warehouse)
    report = run_with_progress(con, through, start, dry_run=dry_run)
    print_run_report(report)


def run_with_progress(con, through: datetime, start: datetime | None, *, dry_run: bool = False):
    """Run windows with a progress bar when there are several."""
    planned = len(engine.plan_windows(con, through, start).windows)
    if planned <= 1:
        return engine.run_windows(con, through, start, dry_run=dry_run)
    with Progress(
        TextColumn("windows"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("windows", total=planned)
        return engine.run_windows(
            con, through, start, dry_run=dry_run, on_window=lambda _: progress.advance(task)
        )


def print_run_report(report: engine.RunReport) -> None:
    """Notes, then the windows processed and their totals."""
    for note in report.notes:
        console.print(f"note: {note}")
    if not report.windows:
        return
    first, last = report.windows[0].window, report.windows[-1].window
    verb = "computed (dry run, rolled back)" if report.dry_run else "processed"
    seconds = sum(result.seconds for result in report.windows)
    console.print(
        f"{verb} {len(report.windows)} window(s) {format_instant(first.start)} .. "
        f"{format_instant(last.end)} in {seconds:.2f} s"
    )
    totals: dict[str, int] = {}
    for result in report.windows:
        for name, rows in result.counts.items():
            totals[name] = totals.get(name, 0) + rows
    table = Table("step", "rows", title="window steps (total)")
    for name, rows in totals.items():
        table.add_row(name, str(rows))
    console.print(table)


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Seed of the generated sample.")
@click.pass_obj
def demo(settings: Settings, seed: int) -> None:
    """Generate a seeded sample into the inbox, ingest it and run through its last days."""
    from orgjourney_pipeline import sample
    from orgjourney_pipeline.ingest import ingest_paths

    manifest = sample.write_sample(settings.inbox, size="demo", seed=seed)
    console.print(
        f"sample: {manifest.counts} written to {settings.inbox} "
        f"(history {format_instant(manifest.start)} .. {format_instant(manifest.end)})"
    )
    con = warehouse.connect(settings.warehouse)
    report = ingest_paths(con, manifest.files)
    print_ingest_report(report)
    if not report.ok:
        sys.exit(1)
    # The last three days run as hourly windows; everything before them is history.
    run_report = run_with_progress(con, manifest.end, manifest.end - 72 * engine.HOUR)
    print_run_report(run_report)
    top = con.execute(
        "select activity_type, sum(events) as events, count(*) as organizations "
        "from org_activity group by activity_type order by events desc"
    ).fetchall()
    table = Table("activity type", "events", "organizations", title="org_activity rollup")
    for activity_type, events, organizations in top:
        table.add_row(activity_type, str(events), str(organizations))
    console.print(table)
    console.print(f"warehouse: {settings.warehouse}")
