"""The command line: thin — parse arguments, call the library, print what happened."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orgjourney_pipeline import catalog, exports, pipeline, reports, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import Settings, demo_journeys_dir
from orgjourney_pipeline.timeutil import format_instant, parse_instant
from orgjourney_pipeline.windows.plan import HOUR, plan_windows
from orgjourney_pipeline.windows.run import RunReport

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


class _Group(click.Group):
    """Errors the user can act on become one clear `Error:` line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (warehouse.WarehouseBusy, catalog.PublishedVersionChanged) as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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


@contextlib.contextmanager
def open_warehouse(settings: Settings, *, read_only: bool = False) -> Iterator:
    """A warehouse connection for one command, closed when it ends."""
    con = warehouse.connect(settings.warehouse, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def main() -> None:
    """Console script entry point."""
    cli()


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
    with open_warehouse(settings) as con:
        report = ingest_paths(con, targets, as_of=as_of)
    print_ingest_report(report)
    if not report.ok:
        sys.exit(1)


INGEST_FILES_SHOWN = 12


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
    with open_warehouse(settings) as con:
        report = run_with_progress(con, settings, through, start, dry_run=dry_run)
        print_run_report(con, report)


def run_with_progress(
    con, settings: Settings, through: datetime, start: datetime | None, *, dry_run: bool = False
) -> RunReport:
    """Run and export windows, with a progress bar when there are several."""
    planned = len(plan_windows(DuckDBEngine(con), through, start).windows)
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
            con,
            settings,
            through,
            start,
            dry_run=dry_run,
            on_window=lambda _result: progress.advance(task),
        )


def print_run_report(con, report: RunReport) -> None:
    """Notes, the windows processed, and a summary per journey."""
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
    if report.dry_run:
        table = Table("journey", "entered", "sent", "suppressed", title="journeys (dry run)")
        totals: dict[str, list[int]] = {}
        for result in report.windows:
            for journey_id, counts in result.journeys.items():
                row = totals.setdefault(journey_id, [0, 0, 0])
                for index, value in enumerate(counts):
                    row[index] += value
        for journey_id, (entered, sent, suppressed) in sorted(totals.items()):
            table.add_row(journey_id, str(entered), str(sent), str(suppressed))
        console.print(table)
        return
    table = Table(
        "journey", "entered", "sent", "suppressed", "completed", "exited", title="journeys"
    )
    for row in reports.run_summary(con, first.start, last.end):
        table.add_row(
            row.journey_id,
            str(row.entered),
            str(row.sent),
            str(row.suppressed),
            str(row.completed),
            str(row.exited),
        )
    console.print(table)


DEMO_RUN_HOURS = 72


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
        print_run_report(con, run_report)
        top = con.execute(
            "select activity_type, sum(events) as events, count(*) as organizations "
            "from org_activity group by activity_type order by events desc"
        ).fetchall()
        summary = reports.journey_report(con).summary
    table = Table("activity type", "events", "organizations", title="org_activity rollup")
    for activity_type, events, organizations in top:
        table.add_row(activity_type, str(events), str(organizations))
    console.print(table)
    console.print(summary_table(summary))
    console.print(f"warehouse: {settings.warehouse} (try `orgjourney report`)")


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
    table = Table("check", "status", "failing rows", "example", title="data-quality checks")
    styles = {"passed": "green", "warning": "yellow", "failed": "bold red"}
    for result in results:
        table.add_row(
            result.name,
            f"[{styles[result.status]}]{result.status}[/]",
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
        for example in result.examples[:5]:
            stream.print(f"  {example}", soft_wrap=True)
    if failed:
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


@cli.command()
@click.argument("journey_id")
@click.option("--at", type=INSTANT, help="The instant to preview (default: now).")
@click.pass_obj
def preview(settings: Settings, journey_id: str, at: datetime | None) -> None:
    """Who would enter JOURNEY_ID now, and who would receive its first send; writes nothing."""
    from orgjourney_pipeline import preview as preview_module

    at = at or warehouse.utc_now()
    try:
        with open_warehouse(settings) as con:
            result = preview_module.preview(DuckDBEngine(con), settings.journeys, journey_id, at)
    except preview_module.UnknownJourney as error:
        raise click.ClickException(str(error)) from error
    console.print(
        f"journey {journey_id} as of {format_instant(at)}: "
        f"{len(result.entering)} organization(s) would enter"
    )
    table = Table("org_id", "name", title="would enter")
    for org_id, name in result.entering:
        table.add_row(org_id, name or "")
    console.print(table)
    if result.first_send_step is None:
        console.print("the journey has no send step")
        return
    if not result.first_send_due:
        console.print(
            f"first send '{result.first_send_step}' is not due at entry (it follows a wait)"
        )
    table = Table(
        "org_id",
        "contact_id",
        "channel",
        "address",
        "suppressed",
        title=f"first send: {result.first_send_step}",
    )
    for org_id, contact_id, channel, address, reason in result.recipients:
        table.add_row(org_id, contact_id, channel, address or "", reason or "")
    console.print(table)


@cli.command()
@click.option("--journey", "journey_id", help="Only this journey.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path),
    help="Also write a self-contained HTML page (funnel and conversion charts) here.",
)
@click.pass_obj
def report(settings: Settings, journey_id: str | None, html_path: Path | None) -> None:
    """Print journey_summary and journey_funnel; with --html, write them as a page with charts."""
    if not settings.warehouse.exists():
        raise click.ClickException(
            f"no warehouse at {settings.warehouse}: ingest and run some windows first"
        )
    with open_warehouse(settings) as con:
        result = reports.journey_report(con, journey_id)
    if journey_id is not None and not result.summary:
        raise click.ClickException(f"no journey '{journey_id}' in {settings.warehouse}")
    print_journey_report(result)
    if html_path is not None:
        reports.write_html(result, html_path)
        console.print(f"report written to {html_path}")


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
    for name in ("entered", "active", "completed", "exited", "converted", "rate"):
        table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
    for row in rows:
        table.add_row(
            row.journey_id,
            str(row.entered),
            str(row.active),
            str(row.completed),
            str(row.exited),
            str(row.converted),
            reports.format_rate(row.conversion_rate),
        )
    return table


@cli.command()
@click.option("--scale", default="s", show_default=True, type=click.Choice(["xs", "s", "m", "l"]))
@click.option("--journeys", "journey_count", default=50, show_default=True, type=int)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write figures here.")
@click.option("--windows", default=6, show_default=True, help="Measured windows (at least 5).")
@click.option("--backfill", default=24, show_default=True, help="Windows of the backfill run.")
@click.option("--growth/--no-growth", default=True, help="Run the 1x-history twin.")
@click.option(
    "--enrollments",
    default=0,
    show_default=True,
    help="Add this many generated active enrollments after the catch-up window.",
)
@click.option("--reference/--no-reference", default=None, help="Row-at-a-time baseline [xs and s].")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    help="Keep generated files here (else a temp dir).",
)
@click.option(
    "--charts",
    "charts_dir",
    type=click.Path(path_type=Path),
    help="Instead: sweep history, journeys and events per hour; write PNG charts here.",
)
def bench(
    scale: str,
    journey_count: int,
    json_path: Path | None,
    windows: int,
    backfill: int,
    growth: bool,
    enrollments: int,
    reference: bool | None,
    workdir: Path | None,
    charts_dir: Path | None,
) -> None:
    """The benchmark: steady-state window against its bare-DuckDB lower bound, and more."""
    import json

    from orgjourney_pipeline import bench as benchmark

    options = benchmark.BenchOptions(
        scale=scale,
        journeys=journey_count,
        windows=windows,
        backfill=backfill,
        growth=growth,
        enrollments=enrollments,
        reference=reference,
        workdir=workdir,
    )
    total = 1 + 3 * len(benchmark.SWEEPS) if charts_dir else benchmark.phase_count(options)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("bench", total=total)

        def advance(phase: str) -> None:
            progress.update(task, description=phase, advance=1)

        if charts_dir:
            result = benchmark.run_sweeps(
                scale, journeys=journey_count, workdir=workdir, progress=advance
            )
            result["charts"] = [str(p) for p in benchmark.write_charts(result, charts_dir)]
        else:
            result = benchmark.run_bench(options, progress=advance)
        progress.update(task, completed=total)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if charts_dir:
        for curve in benchmark.SWEEPS:
            table = Table(curve, "history events", "window s (median)", title=f"bench {curve}")
            for point in result[curve]:
                table.add_row(
                    f"{point['value']:g}",
                    f"{point['history_events']:,}",
                    f"{point['window_s']:.3f}",
                )
            console.print(table)
        console.print(f"charts: {', '.join(result['charts'])}")
        return
    print_bench_result(result)


def print_bench_result(result: dict) -> None:
    """The benchmark's figures and the issue's targets, as two tables."""
    figures = Table("figure", "value", title=f"orgjourney bench — scale {result['scale']}")
    rows = [
        ("journeys", result["journeys"]),
        ("window_s (median)", result["window_s"]),
        ("window min .. max", f"{result['window_min_s']} .. {result['window_max_s']}"),
        ("lower_bound_s", result["lower_bound_s"]),
        ("ratio", result["ratio"]),
        ("growth (4x / 1x history)", result.get("growth")),
        ("backfill_s_per_window", result.get("backfill_s_per_window")),
        ("reference_speedup", result.get("reference_speedup")),
        ("ingest_rows_per_s (history)", result["ingest_rows_per_s"]),
        ("ingest rows/s (one hour)", result["ingest_hour_rows_per_s"]),
        ("peak_rss_mb", result["peak_rss_mb"]),
        ("statements_per_window", result["statements_per_window"]),
        ("catch-up window s", result["catchup_s"]),
        ("active enrollments", result["active_enrollments"]),
        ("sends per window", result["sends_per_window"]),
    ]
    for name, value in rows:
        figures.add_row(name, "—" if value is None else str(value))
    console.print(figures)
    phases = Table("phase (SQL step)", "median s", title="slowest phases of a window")
    for name, seconds in list(result["phases_s"].items())[:10]:
        phases.add_row(name, f"{seconds:.3f}")
    phases.add_row("(python, outside the SQL)", f"{result['python_overhead_s']:.3f}")
    console.print(phases)
    targets = Table("target", "value", "met", title="the issue's targets")
    for key, target in result["targets"].items():
        met = {True: "yes", False: "NO", None: "n/a"}[target["met"]]
        targets.add_row(f"{key} {target['target']}", str(target["value"]), met)
    console.print(targets)
    for note in result.get("notes", []):
        console.print(f"note: {note}")


@cli.command()
@click.argument("what", type=click.Choice(exports.EXPORTABLE))
@click.option("--journey", "journey_id", help="Only this journey.")
@click.option("--since", type=INSTANT, help="Only rows at or after this instant.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.pass_obj
def export(
    settings: Settings,
    what: str,
    journey_id: str | None,
    since: datetime | None,
    file_format: str,
    out: Path,
) -> None:
    """Write sends, conversions or enrollments to a CSV or Parquet file."""
    with open_warehouse(settings) as con:
        rows = exports.export_table(
            con, what, out, journey_id=journey_id, since=since, file_format=file_format
        )
    console.print(f"{rows} {what} row(s) written to {out}")
