"""`bench`: the benchmark of SPEC section 6, or sweeps drawn as charts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orgjourney_pipeline.cli.group import cli, console, errors


@cli.command()
@click.option("--scale", default="s", show_default=True, type=click.Choice(["xs", "s", "m", "l"]))
@click.option("--journeys", "journey_count", default=50, show_default=True, type=int)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write figures here.")
@click.option("--windows", default=6, show_default=True, help="Measured windows (at least 5).")
@click.option("--backfill", default=24, show_default=True, help="Windows of the backfill run.")
@click.option(
    "--backfill-steady/--no-backfill-steady",
    default=True,
    help="Run the backfill's hours again in a copy, one invocation an hour, beside it.",
)
@click.option("--growth/--no-growth", default=True, help="Run the 1x-history twin.")
@click.option(
    "--backtest-days",
    default=30,
    show_default=True,
    help="Days of history one journey is backtested over (0: no backtest).",
)
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
    "--engine",
    "bench_engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="spark: the same windows on DuckDB and on Spark local[1] and local[2], side by side.",
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
    backfill_steady: bool,
    growth: bool,
    backtest_days: int,
    enrollments: int,
    reference: bool | None,
    workdir: Path | None,
    bench_engine: str,
    charts_dir: Path | None,
) -> None:
    """The benchmark: steady-state window against its bare-DuckDB lower bound, and more."""
    from orgjourney_pipeline import bench as benchmark

    if bench_engine == "spark":
        bench_spark(scale, journey_count, min(windows, 3), workdir, json_path)
        return

    options = benchmark.BenchOptions(
        scale=scale,
        journeys=journey_count,
        windows=windows,
        backfill=backfill,
        backfill_steady=backfill_steady,
        growth=growth,
        backtest_days=backtest_days,
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
        started = time.monotonic()

        def advance(phase: str) -> None:
            progress.update(task, description=phase, advance=1)
            if not errors.is_terminal:  # a log or a pipe, where the bar draws nothing
                elapsed = int(time.monotonic() - started)
                stamp = f"{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
                errors.print(f"[{stamp}] {phase}", markup=False)

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
        print_sweeps(result, benchmark.SWEEPS)
    else:
        print_bench_result(result)


def bench_spark(
    scale: str, journeys: int, windows: int, workdir: Path | None, json_path: Path | None
) -> None:
    """`bench --engine spark`: DuckDB's and Spark's window times over the same windows."""
    from orgjourney_pipeline.bench.engines import compare_engines

    result = compare_engines(
        scale, journeys, windows, workdir=workdir, progress=lambda phase: errors.print(phase)
    )
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(
        "engine",
        "window s (median)",
        "invocation s",
        "statements / window",
        "ms / statement",
        "× DuckDB",
        title=f"orgjourney bench --engine spark — scale {scale}, {journeys} journeys",
    )
    for name in [key for key in result if key == "duckdb" or key.startswith("spark ")]:
        figures = result[name]
        table.add_row(
            name,
            f"{figures['window_s']:.3f}",
            f"{figures['invocation_s']:.3f}",
            str(figures["statements_per_window"]),
            f"{figures['ms_per_statement']:.1f}",
            str(figures.get("ratio_to_duckdb", 1.0)),
        )
    console.print(table)
    if "spark_speedup" in result:
        console.print(f"Spark local[1] -> local[2]: {result['spark_speedup']}x")


def print_sweeps(result: dict, curves) -> None:
    """One table per swept curve (window time against the swept value), then the charts."""
    for curve in curves:
        table = Table(curve, "history events", "window s (median)", title=f"bench {curve}")
        for point in result[curve]:
            table.add_row(
                f"{point['value']:g}",
                f"{point['history_events']:,}",
                f"{point['window_s']:.3f}",
            )
        console.print(table)
    console.print(f"charts: {', '.join(result['charts'])}")


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
        ("  the same hours, hourly", result.get("backfill_steady_s_per_window")),
        ("  backfill / hourly", result.get("backfill_ratio")),
        ("reference_speedup", result.get("reference_speedup")),
        ("backtest_s (one journey)", result.get("backtest_s")),
        ("backtest s per window (history, steady)", _backtest_per_window(result)),
        ("ingest_rows_per_s (history)", result["ingest_rows_per_s"]),
        ("ingest activities rows/s (history)", result.get("ingest_activities_rows_per_s")),
        ("  DuckDB alone, the same files", result.get("ingest_bound_rows_per_s")),
        ("ingest rows/s (one hour)", result["ingest_hour_rows_per_s"]),
        ("  one hour, 4x / 1x history", result.get("ingest_hour_growth")),
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


def _backtest_per_window(result: dict) -> str | None:
    if result.get("backtest_s") is None:
        return None
    return f"{result['backtest_s_per_window']}, {result['backtest_steady_s_per_window']}"
