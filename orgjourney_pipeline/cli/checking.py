"""Checks and validation: `check` (data quality) and `validate` (journey files)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from orgjourney_pipeline import warehouse
from orgjourney_pipeline.cli.group import (
    INSTANT,
    JSON_OPTION,
    cli,
    console,
    errors,
    open_visit,
    open_warehouse,
)
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
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@JSON_OPTION
@click.pass_obj
def validate(settings: Settings, files: tuple[Path, ...], as_json: bool) -> None:
    """Check the journey files (default: every one of the journeys folder).

    Prints `file:line: message` for each problem and exits 1 on errors. With a warehouse, the
    fields are checked against the loaded ones and each journey's SQL is bound as a run would.
    """
    from orgjourney_pipeline import validation

    if not files and not settings.journeys.is_dir():
        raise click.ClickException(f"no journeys folder: {settings.journeys}")
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise click.ClickException(f"no such journey file: {', '.join(missing)}")
    sources = list(files) if files else settings.journeys
    if settings.warehouse.exists():
        with open_visit(settings) as con:
            result = validation.validate(sources, DuckDBEngine(con), warehouse.utc_now())
    else:
        result = validation.validate(sources, None, warehouse.utc_now())
    if as_json:
        click.echo(json.dumps(result.document(), indent=2))
    else:
        _print_validation(result, settings)
    if result.errors:
        sys.exit(1)


def _print_validation(result, settings: Settings) -> None:
    for problem in result.sorted_problems():
        stream = errors if problem.severity == "error" else console
        line = str(problem) if problem.severity == "error" else f"{problem} (warning)"
        stream.print(line, soft_wrap=True, markup=False)
    if not result.fields_checked:
        console.print(
            f"note: no warehouse at {settings.warehouse}: fields were checked against the "
            "built-in ones only, not against loaded data",
            soft_wrap=True,
            markup=False,
        )
    if not result.errors:
        console.print(f"{len(result.journeys)} journey file(s) valid")


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
