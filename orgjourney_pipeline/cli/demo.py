"""`demo`: a seeded sample into the inbox, ingested and run through its last days."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from rich.table import Table

from orgjourney_pipeline import reports, sqlfiles
from orgjourney_pipeline.cli.group import cli, console, open_warehouse
from orgjourney_pipeline.cli.loading import (
    print_ingest_report,
    print_run_report,
    run_journeys,
    run_with_progress,
)
from orgjourney_pipeline.cli.reading import summary_table
from orgjourney_pipeline.settings import Settings, demo_journeys_dir
from orgjourney_pipeline.timeutil import format_instant
from orgjourney_pipeline.windows.plan import HOUR

DEMO_RUN_HOURS = 72


@cli.command()
@click.option("--seed", default=7, show_default=True, help="Seed of the generated sample.")
@click.pass_obj
def demo(settings: Settings, seed: int) -> None:
    """Generate a seeded sample into the inbox, ingest it and run through its last days."""
    from orgjourney_pipeline import sample
    from orgjourney_pipeline.ingest import ingest_paths

    copied = _ensure_journeys(settings.journeys)
    if copied:
        console.print(f"example journeys copied to {settings.journeys}: {', '.join(copied)}")
    manifest = sample.write_sample(settings.inbox, size="demo", seed=seed)
    console.print(
        f"sample: {manifest.counts} written to {settings.inbox} "
        f"(history {format_instant(manifest.start)} .. {format_instant(manifest.end)})"
    )
    with open_warehouse(settings) as con:
        report = ingest_paths(con, manifest.files)
        print_ingest_report(report)
        if not report.ok:
            sys.exit(1)
        # The last three days run as hourly windows; everything before them is history.
        run_report = run_with_progress(
            con, settings, manifest.end, manifest.end - DEMO_RUN_HOURS * HOUR
        )
        print_run_report(run_report, run_journeys(con, run_report))
        activity = con.execute(sqlfiles.load("reports/activity_by_type.sql").sql()).fetchall()
        summary = reports.journey_report(con).summary
    table = Table("activity type", "events", "organizations", title="org_activity rollup")
    for activity_type, events, organizations in activity:
        table.add_row(activity_type, str(events), str(organizations))
    console.print(table)
    console.print(summary_table(summary))
    console.print(f"warehouse: {settings.warehouse} (try `orgjourney report`)")


def _ensure_journeys(folder: Path) -> list[str]:
    """Copy the bundled example journeys into a journeys folder that has none."""
    if folder.is_dir() and any(folder.glob("*.y*ml")):
        return []
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(demo_journeys_dir().glob("*.yaml")):
        shutil.copyfile(source, folder / source.name)
        copied.append(source.name)
    return copied
