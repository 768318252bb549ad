"""Where a backtest's time goes: `bench-001` backtested over the last hours of a benchmark
history, seconds per window by step, or by statement with `--statements`.

    .venv/bin/python tools/backtest_profile.py --scale m --root /tmp/bt/m --hours 48

The first call builds the history (the benchmark's generator and journeys, ingested) under
`--root`; later calls reuse it. Figures from it are in docs/performance.md ("Backtest at m").
"""

from __future__ import annotations

import argparse
import collections
import time
from datetime import datetime, timedelta
from pathlib import Path

from orgjourney_pipeline import backtest, sample, warehouse
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.bench.measure import ingest
from orgjourney_pipeline.windows import window as window_module


def build(scale: str, root: Path) -> datetime:
    end_file = root / "end.txt"
    if not end_file.exists():
        manifest = sample.write_sample(root / "history", sample.SCALES[scale], 7, formats="parquet")
        write_journeys(root / "journeys", 50, manifest.end)
        con = warehouse.connect(root / "main.duckdb")
        ingest(con, manifest.files)
        con.close()
        end_file.write_text(manifest.end.isoformat())
    return datetime.fromisoformat(end_file.read_text())


class TimedConnection:
    """A DuckDB connection whose `execute` adds its seconds to `totals[(step, statement)]`."""

    def __init__(self, con, totals: collections.Counter, step: list[str]):
        self._con, self._totals, self._step = con, totals, step

    def execute(self, sql, *args, **kwargs):
        clock = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        head = " ".join(str(sql).split()[:4])[:50]
        self._totals[(self._step[0], head)] += time.perf_counter() - clock
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="m", choices=sorted(sample.SCALES))
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--top", type=int, default=30, help="Print this many steps or statements.")
    options = parser.parse_args()
    end = build(options.scale, options.root)
    steps: collections.Counter = collections.Counter()
    statements: collections.Counter = collections.Counter()
    current = ["-"]
    run_window, run_step = window_module.run_window, window_module.window_steps.run_step

    def timed_window(*args, **kwargs):
        done = run_window(*args, **kwargs)
        steps.update(done.step_seconds)
        steps["(whole window)"] += done.seconds
        return done

    def named_step(engine, step, *args):
        current[0] = step.name
        try:
            return run_step(engine, step, *args)
        finally:
            current[0] = "-"

    backtest.run_window = timed_window
    if options.statements:
        connect = warehouse.connect
        backtest.warehouse.connect = lambda *a, **k: TimedConnection(
            connect(*a, **k), statements, current
        )
        window_module.window_steps.run_step = named_step
    journey = backtest.read_journey_file(options.root / "journeys" / "bench-001.yaml")
    result = backtest.backtest(
        options.root / "main.duckdb",
        journey,
        end - timedelta(hours=options.hours),
        end,
        options.root / "journeys",
    )
    windows = result.windows
    print(f"{windows} windows: {result.seconds}; totals {result.totals()}")
    for name, seconds in (statements or steps).most_common(options.top):
        print(f"{seconds / windows * 1000:8.1f} ms a window  {name}")


if __name__ == "__main__":
    main()
