"""Inspecting: `status` (freshness and health) and `fields` (what journeys may use)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from orgjourney_pipeline import status as status_module
from orgjourney_pipeline import warehouse
from orgjourney_pipeline.cli.group import JSON_OPTION, cli, console, open_warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import format_instant


@cli.command()
@JSON_OPTION
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Freshness and health: last window, last ingest, journeys by state; always exits 0."""
    _require_warehouse(settings)
    with open_warehouse(settings, read_only=True) as con:
        found = status_module.status(DuckDBEngine(con), settings.journeys, warehouse.utc_now())
    if as_json:
        click.echo(json.dumps(found.document(), indent=2))
        return
    _print_status(found)


@cli.command()
@JSON_OPTION
@click.pass_obj
def fields(settings: Settings, as_json: bool) -> None:
    """Organization and contact fields with their types, tags in use, activity types seen."""
    _require_warehouse(settings)
    with open_warehouse(settings, read_only=True) as con:
        found = status_module.fields(DuckDBEngine(con))
    if as_json:
        click.echo(json.dumps(found.document(), indent=2))
        return
    table = Table("subject", "field", "type", "built in", "rows with a value", title="fields")
    for field in found.fields:
        total = found.rows[field.subject]
        table.add_row(
            field.subject,
            field.name,
            field.type,
            "yes" if field.built_in else "",
            f"{field.rows_with_value} of {total}",
        )
    console.print(table)
    tags = Table("subject", "tag", "rows", title="tags in use")
    for subject, tag, rows in found.tags:
        tags.add_row(subject, tag, str(rows))
    console.print(tags if found.tags else "no tags in use")
    kinds = Table("activity type", "events", "last at", title="activity types seen")
    for activity_type, events, last_at in found.activity_types:
        kinds.add_row(activity_type, str(events), format_instant(last_at))
    console.print(kinds if found.activity_types else "no activities loaded")


def _require_warehouse(settings: Settings) -> None:
    if not settings.warehouse.exists():
        raise click.ClickException(
            f"no warehouse at {settings.warehouse}: ingest and run some windows first"
        )


def _when(instant) -> str:
    return format_instant(instant) if instant is not None else "never"


def _print_status(found: status_module.Status) -> None:
    out = lambda text: console.print(text, soft_wrap=True, markup=False)  # noqa: E731
    behind = found.hours_behind_clock
    out(
        f"last processed window: {_when(found.last_window_end)} ({found.windows} in all)"
        + (f", {behind:g} h behind the clock" if behind is not None else "")
    )
    ahead = found.hours_behind_activity
    unprocessed = ""
    if ahead is not None:
        unprocessed = (
            f", {ahead:g} h past the last processed window (not processed yet)"
            if ahead > 0
            else ", before the last processed window's end"
        )
    out(
        f"newest loaded activity: {_when(found.newest_activity_at)}"
        f" ({found.activities} loaded){unprocessed}"
    )
    out(
        f"last ingest: {_when(found.last_ingest_at)}: {found.last_ingest_files} file(s),"
        f" {found.last_ingest_rows_loaded} row(s) loaded,"
        f" {found.last_ingest_rows_rejected} rejected"
    )
    table = Table("journey", "version", "state", "last run", "active", title="journeys")
    for journey in found.journeys:
        table.add_row(
            journey.journey_id,
            str(journey.version),
            journey.state,
            _when(journey.last_run_at),
            str(journey.active_enrollments),
        )
    console.print(table)
    for journey in found.journeys:
        for problem in journey.problems:
            out(f"stopped: {journey.journey_id}: {problem}")
    out(f"active enrollments: {found.active_enrollments}")
