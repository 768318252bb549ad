"""`bench --engine spark`: the same windows on DuckDB and on Spark, in one run (SPEC 6, 7).

The benchmark's sample at a scale and its journeys are ingested into a DuckDB warehouse and
into a Spark warehouse per master (`local[1]`, `local[2]`: the first point of a scaling
curve); a catch-up window runs first on each (the first window rolls up all history), then
the same measured windows, one invocation each. Reported per engine: the median window (its
steps and commit) and invocation (with reading the journeys and binding them), the
statements a window runs (the runner's steps, the same on both), and time per statement.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from orgjourney_pipeline import sample, spark_pipeline, warehouse
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.bench.measure import workdir as bench_workdir
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.ingest import ingest_paths
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.windows.plan import HOUR
from orgjourney_pipeline.windows.run import run_windows


def compare_engines(
    scale: str,
    journeys: int = 50,
    windows: int = 3,
    masters: Sequence[str] = ("local[1]", "local[2]"),
    workdir: Path | None = None,
    progress: Callable[[str], None] = lambda _phase: None,
) -> dict[str, Any]:
    """Window times of DuckDB and of Spark on each master, over the same windows."""
    with bench_workdir(workdir) as root:
        progress("generate data and journeys")
        manifest = sample.write_sample(
            root / "history", sample.SCALES[scale], 11, formats="parquet"
        )
        journeys_dir = root / "journeys"
        write_journeys(journeys_dir, journeys, manifest.end)
        ends = [manifest.end - (windows - n) * HOUR for n in range(windows + 1)]
        result: dict[str, Any] = {"scale": scale, "journeys": journeys, "windows": windows}
        progress("duckdb")
        con = warehouse.connect(root / "bench.duckdb")
        try:
            ingest_paths(con, manifest.files)
            result["duckdb"] = _windows(DuckDBEngine(con), ends, journeys_dir)
        finally:
            con.close()
        for master in masters:
            progress(f"spark {master}")
            settings = Settings.resolve(
                warehouse=root / f"spark-{masters.index(master)}",
                engine="spark",
                spark_conf=(("spark.master", master),),
            )
            engine = spark_pipeline.open_engine(settings)
            try:
                spark_pipeline.ingest(engine, manifest.files)
                result[f"spark {master}"] = _windows(engine, ends, journeys_dir)
            finally:
                engine.spark.stop()
        duckdb_window = result["duckdb"]["window_s"]
        for master in masters:
            figures = result[f"spark {master}"]
            figures["ratio_to_duckdb"] = round(figures["window_s"] / duckdb_window, 1)
        if len(masters) >= 2:
            first, second = (result[f"spark {m}"]["window_s"] for m in masters[:2])
            result["spark_speedup"] = round(first / second, 2)
        return result


def _windows(engine, ends: list, journeys_dir: Path) -> dict[str, Any]:
    """A catch-up window (not measured), then each measured window in its own invocation."""
    run_windows(engine, ends[0], ends[0] - HOUR, journeys_dir=journeys_dir)
    seconds, inside, statements = [], [], []
    for start, end in zip(ends, ends[1:], strict=False):
        clock = time.perf_counter()
        report = run_windows(engine, end, start, journeys_dir=journeys_dir)
        seconds.append(time.perf_counter() - clock)
        inside.append(report.windows[0].seconds)
        statements.append(report.windows[0].step_runs)
    window = statistics.median(inside)
    per_window = statistics.median(statements)
    return {
        "window_s": round(window, 3),  # the window's steps and commit
        "invocation_s": round(statistics.median(seconds), 3),  # and the journeys, preflight
        "statements_per_window": per_window,
        "ms_per_statement": round(1000 * window / per_window, 1),
    }
