"""Reading: `report`, `preview` and `export` — what the warehouse holds, shown or written."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from orgjourney_pipeline import exports, reports, warehouse
from orgjourney_pipeline import status as status_module
from orgjourney_pipeline.cli.group import (
    INSTANT,
    JSON_OPTION,
    cli,
    console,
    errors,
    open_visit,
    open_warehouse,
    print_freshness,
    print_whole,
)
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import format_instant

PREVIEW_LIMIT = 20


@cli.command()
@click.option("--journey", "journey_id", help="Only this journey.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path),
    help="Also write a self-contained HTML page here: the period, each journey's activity per "
    "day, suppression reasons and its funnel drawn as its step graph.",
)
@click.pass_obj
def report(settings: Settings, journey_id: str | None, html_path: Path | None) -> None:
    """Print journey_summary and journey_funnel; with --html, also write a page with charts."""
    if not settings.warehouse.exists():
        raise click.ClickException(
            f"no warehouse at {settings.warehouse}: ingest and run some windows first"
        )
    with open_warehouse(settings, read_only=True) as con:
        result = reports.journey_report(con, journey_id, detail=html_path is not None)
    if journey_id is not None and not result.summary:
        raise click.ClickException(f"no journey '{journey_id}' in {settings.warehouse}")
    print_journey_report(result)
    if html_path is not None:
        reports.write_html(result, html_path, made_at=warehouse.utc_now())
        console.print(f"report written to {html_path}")


@cli.command()
@click.argument("journey_id")
@click.option("--at", type=INSTANT, help="The instant to preview (default: now).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=PREVIEW_LIMIT,
    show_default=True,
    help="Rows shown per table (0: all); the totals and --json count every row.",
)
@JSON_OPTION
@click.pass_obj
def preview(
    settings: Settings, journey_id: str, at: datetime | None, limit: int, as_json: bool
) -> None:
    """Who would enter JOURNEY_ID now, and who would receive its first send; writes nothing."""
    from orgjourney_pipeline import preview as preview_module

    at = at or warehouse.utc_now()
    try:
        with open_visit(settings) as con:
            engine = DuckDBEngine(con)
            data = status_module.freshness(engine, at)
            result = preview_module.preview(engine, settings.journeys, journey_id, at)
    except preview_module.UnknownJourney as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result.document(journey_id, at, data), indent=2))
        return
    print_freshness(data)
    totals = result.totals()
    suppressed = ", ".join(f"{n} {reason}" for reason, n in totals["suppressed"].items())
    console.print(
        f"journey {journey_id} as of {format_instant(at)}: "
        f"{totals['entering']} organization(s) would enter",
        markup=False,
    )
    table = Table("org_id", "name", title="would enter")
    for org_id, name in result.entering[: limit or None]:
        table.add_row(org_id, name or "")
    print_whole(table)
    _print_more(len(result.entering), limit)
    if result.first_send_step is None:
        console.print("the journey has no send step")
        return
    if not result.first_send_due:
        console.print(
            f"first send '{result.first_send_step}' is not due at entry (it follows a wait)",
            markup=False,
        )
    table = Table(
        "org_id",
        "contact_id",
        "channel",
        "address",
        "suppressed",
        title=f"first send: {result.first_send_step}",
    )
    for org_id, contact_id, channel, address, reason in result.recipients[: limit or None]:
        table.add_row(org_id, contact_id, channel, address or "", reason or "")
    print_whole(table)
    _print_more(len(result.recipients), limit)
    console.print(
        f"first send '{result.first_send_step}': {totals['recipients']} recipient(s), "
        f"{totals['sends']} would be sent, {sum(totals['suppressed'].values())} suppressed"
        + (f" ({suppressed})" if suppressed else ""),
        markup=False,
    )


def _print_more(rows: int, limit: int) -> None:
    if limit and rows > limit:
        console.print(f"… and {rows - limit} more (--limit 0 shows all)")


@cli.command()
@click.argument("what", type=click.Choice(exports.EXPORTABLE))
@click.option("--journey", "journey_id", help="Only this journey (an unknown one is an error).")
@click.option("--since", type=INSTANT, help="Only rows at or after this instant.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    help="csv or parquet (default: from the extension of --out; csv for `-`).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, allow_dash=True),
    help="The file to write; `-` writes CSV to standard output.",
)
@click.pass_obj
def export(
    settings: Settings,
    what: str,
    journey_id: str | None,
    since: datetime | None,
    file_format: str | None,
    out: Path,
) -> None:
    """Write sends, conversions or enrollments to a CSV or Parquet file (or CSV to stdout)."""
    to_stdout = str(out) == "-"
    if to_stdout and file_format not in (None, "csv"):
        raise click.UsageError("--out - writes CSV: leave out --format or give csv")
    file_format = file_format or ("csv" if to_stdout else exports.format_of(out))
    if file_format is None:
        raise click.UsageError(
            f"cannot tell the format of {out} from its extension: give --format csv|parquet"
            " (or name the file .csv or .parquet)"
        )
    try:
        with open_warehouse(settings, read_only=True) as con:
            if to_stdout:
                rows = exports.export_csv_to(
                    con, what, sys.stdout.buffer, journey_id=journey_id, since=since
                )
            else:
                rows = exports.export_table(
                    con, what, out, journey_id=journey_id, since=since, file_format=file_format
                )
    except exports.UnknownJourney as error:
        raise click.ClickException(f"{error} ({settings.warehouse})") from error
    (errors if to_stdout else console).print(
        f"{rows} {what} row(s) written to {'standard output' if to_stdout else out}",
        soft_wrap=True,
        markup=False,
    )


def print_journey_report(result: reports.JourneyReport) -> None:
    """The summary view as one table, then each journey's funnel (per version) as a table."""
    console.print(summary_table(result.summary))
    for journey_id in result.journey_ids:
        table = Table(title=f"funnel: {journey_id}")
        table.add_column("version", justify="right")
        table.add_column("#", justify="right")
        table.add_column("step", overflow="fold")
        for name in ("reached", "sent", "suppressed", "converted"):
            table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
        for step in (s for s in result.funnel if s.journey_id == journey_id):
            table.add_row(
                str(step.journey_version),
                str(step.position),
                step.step_id or "",
                str(step.reached),
                str(step.sent),
                str(step.suppressed),
                str(step.converted),
            )
        console.print(table)


def summary_table(rows: list[reports.JourneySummary]) -> Table:
    """`journey_summary` as a rich table."""
    table = Table(title="journey summary", pad_edge=False)
    table.add_column("journey", overflow="fold")
    table.add_column("name", overflow="fold")
    table.add_column("state", no_wrap=True)
    for name in ("entered", "active", "completed", "exited", "converted", "rate"):
        table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
    for row in rows:
        table.add_row(
            row.journey_id,
            row.name or "",
            row.state,
            str(row.entered),
            str(row.active),
            str(row.completed),
            str(row.exited),
            str(row.converted),
            reports.format_rate(row.conversion_rate),
        )
    return table
