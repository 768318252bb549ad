"""Checks and validation: `check` (data quality) and `validate` (journey files)."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from rich.table import Table

from orgjourney_pipeline import catalog
from orgjourney_pipeline.cli.group import INSTANT, cli, console, errors, open_warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings

EXAMPLES_PRINTED = 5
_STYLES = {"passed": "green", "warning": "yellow", "failed": "bold red"}


@cli.command()
@click.option("--inputs", is_flag=True, help="Only the checks on inputs and journey files.")
@click.option("--outputs", is_flag=True, help="Only the checks on what runs wrote.")
@click.option("--now", type=INSTANT, help="Judge timestamps as of this instant (default: now).")
@click.pass_obj
def check(settings: Settings, inputs: bool, outputs: bool, now: datetime | None) -> None:
    """Data-quality checks (Great Expectations) on inputs and outputs; exit 1 on a failure.

    Malformed emails and phone numbers are warnings: reported, but the exit status stays 0.
    """
    from orgjourney_pipeline import checks

    if not settings.warehouse.exists():
        raise click.ClickException(f"no warehouse at {settings.warehouse}: ingest first")
    scopes = [scope for scope, chosen in (("inputs", inputs), ("outputs", outputs)) if chosen]
    with open_warehouse(settings, read_only=True) as con:
        results = checks.run_checks(
            con, scopes or ("inputs", "outputs"), journeys_dir=settings.journeys, now=now
        )
    print_check_results(results)
    if any(result.failed for result in results):
        sys.exit(1)


@cli.command()
@click.pass_obj
def validate(settings: Settings) -> None:
    """Check every journey file; print `file:line: message` for each problem, exit 1 on errors."""
    from orgjourney_pipeline.journeys import check_fields, load_journeys

    if not settings.journeys.is_dir():
        raise click.ClickException(f"no journeys folder: {settings.journeys}")
    journeys, problems = load_journeys(settings.journeys)
    org_fields = contact_fields = None
    if settings.warehouse.exists():
        with open_warehouse(settings) as con:
            engine = DuckDBEngine(con)
            org_fields, contact_fields = catalog.field_types(engine)
            catalog.check_published_versions(journeys, catalog.stored_versions(engine))
    for journey in journeys:
        problems.extend(check_fields(journey, org_fields, contact_fields))
    for problem in sorted(problems, key=lambda p: (str(p.file), p.line)):
        stream = errors if problem.severity == "error" else console
        line = str(problem) if problem.severity == "error" else f"{problem} (warning)"
        stream.print(line, soft_wrap=True, markup=False)
    failed = [p for p in problems if p.severity == "error"]
    if failed:
        sys.exit(1)
    console.print(f"{len(journeys)} journey file(s) valid")


def print_check_results(results) -> None:
    """A table of every check, a count by status, then each warning and failure with examples."""
    table = Table("check", "status", "failing rows", "example", title="data-quality checks")
    for result in results:
        table.add_row(
            result.name,
            f"[{_STYLES[result.status]}]{result.status}[/]",
            str(result.failing_rows),
            result.examples[0][:60] if result.examples else "",
        )
    console.print(table)
    failed = [result for result in results if result.failed]
    warned = [result for result in results if result.status == "warning"]
    console.print(
        f"{len(results)} check(s): {len(results) - len(failed) - len(warned)} passed, "
        f"{len(warned)} warning(s), {len(failed)} failed"
    )
    for result in warned + failed:
        stream, label = (errors, "error") if result.failed else (console, "warning")
        stream.print(
            f"{label}: {result.name} ({result.description}): {result.failing_rows} failing row(s)"
        )
        for example in result.examples[:EXAMPLES_PRINTED]:
            stream.print(f"  {example}", soft_wrap=True)
