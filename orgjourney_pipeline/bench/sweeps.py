"""Sweeps: window time against history length, number of journeys and events per hour.

`run_sweeps` measures the curves (`SWEEPS`), each point a warehouse of its own run in
lockstep with the others; `write_charts` draws them (`orgjourney bench --charts`).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orgjourney_pipeline import sample, warehouse
from orgjourney_pipeline.bench import measure
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.bench.measure import Progress, bench_sql, ingest, memory_limit_mb
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.windows.run import run_windows

HOUR = timedelta(hours=1)

#: What the charts vary, and the values tried (factors of the scale's own figure).
SWEEPS = {
    "history": (0.125, 0.25, 0.5, 1.0),  # share of the history's days kept
    "journeys": (5, 10, 25, 50, 100),  # number of benchmark journeys
    "events_per_hour": (0.25, 0.5, 1.0, 2.0, 4.0),  # factor of the scale's events an hour
}


def run_sweeps(
    scale: str,
    *,
    journeys: int = 50,
    windows: int = 3,
    seed: int = 7,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Window time against history length, number of journeys and events per hour.

    For each curve, one warehouse per point, all fed the same way and run in lockstep (a
    catch-up window, one warm-up window, then `windows` measured ones, window by window
    across the points), so the points of a curve share the machine's moment.
    """
    step = progress or (lambda _phase: None)
    size = sample.SCALES[scale]
    curves: dict[str, Any] = {"scale": scale, "journey_count": journeys, "windows": windows}
    with measure.workdir(workdir) as root:
        step("generate data")
        manifest = sample.write_sample(root / "history", size, seed, formats="parquet")
        snapshots = [p for p in manifest.files if not p.name.startswith("activities")]
        days = [p for p in manifest.files if p.name.startswith("activities")]
        hours = 2 + windows
        hour_starts = [manifest.end + h * HOUR for h in range(hours)]
        default_dir = root / "journeys-default"
        write_journeys(default_dir, journeys, manifest.end)
        default_hours = [
            [sample.write_hour(root / "hours", size, seed, start)] for start in hour_starts
        ]

        def history_point(share: float) -> dict[str, Any]:
            kept = days[len(days) - max(1, round(len(days) * share)) :]
            return {"files": snapshots + kept, "journeys": default_dir, "hours": default_hours}

        def journeys_point(count: int) -> dict[str, Any]:
            folder = root / f"journeys-{count}"
            write_journeys(folder, int(count), manifest.end)
            return {"files": manifest.files, "journeys": folder, "hours": default_hours}

        def rate_point(factor: float) -> dict[str, Any]:
            rate = max(1, round(size.events_per_hour * factor))
            scaled = sample.SampleSize(
                f"{scale}x{factor:g}",
                size.organizations,
                size.contacts,
                size.events,
                events_per_hour=rate,
                days=size.days,
            )
            folder = root / f"hours-{factor:g}"
            files = [[sample.write_hour(folder, scaled, seed, start)] for start in hour_starts]
            return {"files": manifest.files, "journeys": default_dir, "hours": files, "rate": rate}

        makers = {
            "history": history_point,
            "journeys": journeys_point,
            "events_per_hour": rate_point,
        }
        for curve, values in SWEEPS.items():
            step(f"curve: window time against {curve.replace('_', ' ')}")
            points = [makers[curve](value) for value in values]
            curves[curve] = _lockstep(root / curve, points, manifest.end, windows)
            for value, point in zip(values, curves[curve], strict=True):
                point["value"] = value
    return curves


def _lockstep(
    folder: Path, points: list[dict[str, Any]], first_start: datetime, windows: int
) -> list[dict[str, Any]]:
    """Ingest and run each point's warehouse hour by hour, the points side by side."""
    folder.mkdir(parents=True, exist_ok=True)
    cons = []
    share = memory_limit_mb() // len(points)
    results: list[dict[str, Any]] = [{"window_seconds": []} for _ in points]
    try:
        for index, point in enumerate(points):
            con = warehouse.connect(folder / f"point-{index}.duckdb")
            con.execute(bench_sql("set_memory_limit", limit=f"{share}MB"))
            ingest(con, point["files"])
            (results[index]["history_events"],) = con.execute(
                bench_sql("history_events")
            ).fetchone()
            cons.append(con)
        for hour in range(len(points[0]["hours"])):
            end = first_start + (hour + 1) * HOUR
            for index, point in enumerate(points):
                ingest(cons[index], point["hours"][hour])
                report = run_windows(
                    DuckDBEngine(cons[index]), end, end - HOUR, journeys_dir=point["journeys"]
                )
                if hour >= 2:
                    results[index]["window_seconds"].append(round(report.windows[0].seconds, 4))
    finally:
        for con in cons:
            con.close()
    for result, point in zip(results, points, strict=True):
        result["window_s"] = round(statistics.median(result["window_seconds"]), 4)
        result["events_per_hour"] = point.get("rate")
    return results


def write_charts(curves: dict[str, Any], folder: Path) -> list[Path]:
    """PNG charts of the sweeps (matplotlib, Agg backend) into `folder`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scale = curves["scale"]
    charts = {
        "history": (
            "history_events",
            "events in history",
            f"Window time against history length (scale {scale}, {curves['journey_count']} journeys)",
        ),
        "journeys": (
            "value",
            "published journeys",
            f"Window time against number of journeys (scale {scale})",
        ),
        "events_per_hour": (
            "events_per_hour",
            "new events per hour",
            f"Window time against events per hour (scale {scale}, {curves['journey_count']} journeys)",
        ),
    }
    written = []
    for curve, (x_key, x_label, title) in charts.items():
        points = curves.get(curve)
        if not points:
            continue
        figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
        xs = [point[x_key] for point in points]
        medians = [point["window_s"] for point in points]
        lows = [min(point["window_seconds"]) for point in points]
        highs = [max(point["window_seconds"]) for point in points]
        axes.fill_between(xs, lows, highs, alpha=0.2, label="min..max")
        axes.plot(xs, medians, marker="o", label="median window")
        axes.set_xlabel(x_label)
        axes.set_ylabel("seconds per window")
        axes.set_ylim(bottom=0)
        axes.set_title(title, fontsize=10)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        path = folder / f"bench-window-vs-{curve.replace('_', '-')}.png"
        figure.savefig(path)
        pyplot.close(figure)
        written.append(path)
    return written
