"""History: `explain` (one organization's decisions), `backtest` and `diff` (what a journey
file would have done over past windows)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from orgjourney_pipeline.cli.group import INSTANT, JSON_OPTION, cli, console
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import format_instant


@cli.command()
@click.argument("journey_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--from", "start", type=INSTANT, required=True, help="Start of the first window.")
@click.option("--through", type=INSTANT, required=True, help="End of the last window.")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Write the tables as Parquet."
)
@JSON_OPTION
@click.pass_obj
def backtest(
    settings: Settings,
    journey_file: Path,
    start: datetime,
    through: datetime,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run JOURNEY_FILE over past windows as if first published at --from; writes nothing."""
    from orgjourney_pipeline import backtest as backtest_module

    try:
        journey = backtest_module.read_journey_file(journey_file)
        result = backtest_module.backtest(
            settings.warehouse, journey, start, through, settings.journeys
        )
    except backtest_module.BacktestError as error:
        raise click.ClickException(str(error)) from error
    written = result.write_tables(out) if out is not None else []
    if as_json:
        click.echo(json.dumps(result.document(), indent=2))
        return
    console.print(
        f"backtest of {result.journey_id} version {result.version}: {result.windows} window(s) "
        f"from {format_instant(result.start)} through {format_instant(result.through)}",
        markup=False,
    )
    days = Table("day (UTC)", *backtest_module.DAILY_COUNTS, title="per day")
    for day in result.days:
        days.add_row(day["day"].isoformat(), *(str(day[k]) for k in backtest_module.DAILY_COUNTS))
    totals = result.totals()
    days.add_row("total", *(str(totals[k]) for k in backtest_module.DAILY_COUNTS))
    console.print(days)
    funnel = Table("step", *backtest_module.FUNNEL_COUNTS, title="funnel")
    for step in result.funnel:
        funnel.add_row(step["step_id"], *(str(step[k]) for k in backtest_module.FUNNEL_COUNTS))
    console.print(funnel)
    for path in written:
        console.print(f"wrote {path}", markup=False)


@cli.command()
@click.argument("journey_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--from", "start", type=INSTANT, help="Start of the first window.")
@click.option("--through", type=INSTANT, help="End of the last window.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the per-organization differences as Parquet.",
)
@JSON_OPTION
@click.pass_obj
def diff(
    settings: Settings,
    journey_file: Path,
    start: datetime | None,
    through: datetime | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Backtest JOURNEY_FILE and its published version (default: the last 7 days processed)."""
    from orgjourney_pipeline import backtest as backtest_module
    from orgjourney_pipeline import diff as diff_module

    try:
        journey = backtest_module.read_journey_file(journey_file)
        result = diff_module.diff(settings.warehouse, journey, settings.journeys, start, through)
    except backtest_module.BacktestError as error:
        raise click.ClickException(str(error)) from error
    written = result.write(out) if out is not None else None
    if as_json:
        click.echo(json.dumps(result.document(), indent=2))
        return
    out_line = lambda text: console.print(text, markup=False)  # noqa: E731
    out_line(
        f"diff of {result.journey_id}: the file (version {result.file_version}) against the "
        f"published version {result.published_version}, from {format_instant(result.start)} "
        f"through {format_instant(result.through)}"
    )
    for kind, label in (
        ("only_file", "enter under the file only"),
        ("only_published", "enter under the published version only"),
        ("changed", "enter under both, with other sends"),
    ):
        orgs = result.of_kind(kind)
        out_line(f"{len(orgs)} organization(s) {label}" + (": " + ", ".join(orgs) if orgs else ""))
    if result.sends:
        table = Table("step", "channel", "gained", "lost", title="sends gained and lost")
        for row in result.sends:
            table.add_row(row["step_id"], row["channel"], str(row["gained"]), str(row["lost"]))
        console.print(table)
    else:
        out_line("no send gained or lost")
    for sample in result.document()["samples"]:
        out_line(f"  {sample['kind']}: {sample['explain']}")
    if written is not None:
        out_line(f"wrote {written}")


@cli.command()
@click.argument("org_id")
@click.option("--journey", "journey_id", help="Only this journey.")
@click.option("--at", type=INSTANT, help="As of this instant (default: the last window's end).")
@JSON_OPTION
@click.pass_obj
def explain(
    settings: Settings, org_id: str, journey_id: str | None, at: datetime | None, as_json: bool
) -> None:
    """The story of ORG_ID, decision by decision, and whether it enters at the next run."""
    from orgjourney_pipeline import explain as explain_module
    from orgjourney_pipeline.cli.group import open_visit
    from orgjourney_pipeline.engines.duckdb import DuckDBEngine

    if not settings.warehouse.exists():
        raise click.ClickException(f"no warehouse at {settings.warehouse}: ingest and run first")
    try:
        with open_visit(settings) as con:
            found = explain_module.explain(
                DuckDBEngine(con), settings.journeys, org_id, journey_id, at
            )
    except explain_module.ExplainError as error:
        raise click.ClickException(str(error)) from error
    document = found.document()
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    say = lambda text: console.print(text, markup=False)  # noqa: E731
    say(f"organization {org_id} as of {document['at']}")
    for enrollment in document["enrollments"]:
        say(
            f"entered {enrollment['journey_id']} v{enrollment['journey_version']} at "
            f"{enrollment['entered_at']} ({json.dumps(enrollment['entry_rule'])}): "
            f"{enrollment['status']}"
            + (
                f", {enrollment['end_reason']} at {enrollment['ended_at']}"
                if enrollment["ended_at"]
                else ""
            )
        )
        for event in enrollment["triggering_events"]:
            late = " (late arrival)" if event["late"] else ""
            say(
                f"  triggered by {event['event_id']} of {event['contact_id']} at {event['occurred_at']}{late}"
            )
        for step in enrollment["steps"]:
            say(f"  step {step['step_id']} at {step['reached_at']}: {step['outcome']}")
        for contact in enrollment["contacts"]:
            what = f"suppressed ({contact['reason']})" if contact["reason"] else "sent"
            say(f"  {contact['channel']} {contact['step_id']} to {contact['contact_id']}: {what}")
        for conversion in enrollment["conversions"]:
            say(f"  converted at {conversion['converted_at']} by {conversion['event_id']}")
    for run in document["next_run"]:
        verdict = "enters" if run["enters"] else f"does not enter: {run['stopped_by']}"
        say(
            f"next run of {run['journey_id']}: {verdict} {json.dumps(run['detail']) if run['detail'] else ''}"
        )
