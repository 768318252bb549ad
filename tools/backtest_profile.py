"""Where a backtest's time goes: `bench-001` backtested over the last hours of a benchmark
history, seconds per window by step (the first window, which rolls up the whole history,
apart); with `--profile`, DuckDB's own profile of each step's statements beside it (planning
and executing; the rest of a step's seconds is Python) and the slowest steps' costliest
operators.

    .venv/bin/python tools/backtest_profile.py --scale m --root /tmp/bt/m --hours 48 [--profile]

The first call builds the history (the benchmark's generator and journeys, ingested) under
`--root`; later calls reuse it. Figures from it are in docs/performance.md ("Backtest at m").
"""

from __future__ import annotations

import argparse
import collections
from datetime import datetime, timedelta
from pathlib import Path

from orgjourney_pipeline import backtest, sample, warehouse
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.bench.measure import ingest
from orgjourney_pipeline.bench.profile import ProfilingEngine, WindowProfile
from orgjourney_pipeline.windows import window as window_module
from orgjourney_pipeline.windows.window import WindowResult

WHOLE = "(whole window)"  # the windows' own seconds, beside their steps'


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="m", choices=sorted(sample.SCALES))
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--profile", action="store_true", help="DuckDB's profile of each step.")
    parser.add_argument("--top", type=int, default=30, help="Print this many steps.")
    options = parser.parse_args()
    end = build(options.scale, options.root)
    steps: collections.Counter = collections.Counter()
    run_window = window_module.run_window
    profiled: list[ProfilingEngine] = []
    first: list[WindowResult] = []

    def timed_window(*args, **kwargs):
        done = run_window(*args, **kwargs)
        if not first:  # it rolls up the whole history: timed apart, as the bench does
            first.append(done)
            for engine in profiled:
                engine.profile = WindowProfile()
            return done
        steps.update(done.step_seconds)
        steps[WHOLE] += done.seconds
        return done

    def profiling_engine(con):
        engine = ProfilingEngine(con).__enter__()  # profiling stays on for the scratch database
        profiled.append(engine)
        return engine

    backtest.run_window = timed_window
    if options.profile:
        backtest.DuckDBEngine = profiling_engine
    journey = backtest.read_journey_file(options.root / "journeys" / "bench-001.yaml")
    result = backtest.backtest(
        options.root / "main.duckdb",
        journey,
        end - timedelta(hours=options.hours),
        end,
        options.root / "journeys",
    )
    print(f"{result.windows} windows: {result.seconds}; totals {result.totals()}")
    windows = result.windows - 1
    print(f"the first window (it rolls up the whole history): {first[0].seconds:.2f} s")
    print(f"the figures below: per window, over the {windows} windows after it")
    profile = profiled[0].profile if profiled else None
    if profile:
        totals = profile.totals()
        print(
            f"DuckDB per window: {totals['seconds'] / windows * 1000:.1f} ms, of which "
            f"planning {totals['planning_s'] / windows * 1000:.1f} ms "
            f"({totals['statements'] / windows:.1f} statements a window)"
        )
        print("   ms a window (step | DuckDB | planning | executing)")
    slowest = steps.most_common(options.top)
    for name, seconds in slowest:
        line = f"{seconds / windows * 1000:8.1f}  {name}"
        step = profile.step(name) if profile else None
        if step is not None:
            line += "".join(
                f"  {step[part] / windows * 1000:7.1f}"
                for part in ("seconds", "planning_s", "execution_s")
            )
        print(line)
    for name in [name for name, _ in slowest if name != WHOLE][:5] if profile else ():
        step = profile.step(name)
        if step is not None:
            operators = ", ".join(
                f"{op['name']} {op.get('table', '')} {op['rows']} rows {op['seconds'] * 1000:.0f} ms"
                for op in step["operators"][:4]
            )
            print(f"{name}, its slowest statement: {operators}")


if __name__ == "__main__":
    main()
