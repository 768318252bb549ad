"""The benchmark's run: its options, its phases in order, and the dict of figures it returns.

`run_bench` is what `orgjourney bench` calls; `phase_count` how many phases it reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from orgjourney_pipeline import sample, warehouse
from orgjourney_pipeline.bench import measure, reference
from orgjourney_pipeline.bench.backtests import backtest_figures
from orgjourney_pipeline.bench.enrollments import add_enrollments
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.bench.lower_bound import LowerBound
from orgjourney_pipeline.bench.measure import (
    Measured,
    Progress,
    RssSampler,
    Twin,
    bench_sql,
    ingest,
)
from orgjourney_pipeline.bench.profile import ProfilingEngine, profile_figures
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.ingest import file_kind
from orgjourney_pipeline.windows.plan import Window
from orgjourney_pipeline.windows.run import run_windows
from orgjourney_pipeline.windows.window import WindowResult

HOUR = timedelta(hours=1)


@dataclass
class BenchOptions:
    """What to run; the defaults are the issue's."""

    scale: str = "s"
    journeys: int = 50
    seed: int = 7
    windows: int = 6  # measured steady-state windows (at least 5)
    warmup: int = 1  # windows after the catch-up window, not measured
    backfill: int = 24  # windows of the backfill invocation
    # The backfill's hours again in a copy of the warehouse, one invocation an hour as the
    # hourly schedule runs them: the steady windows of the same 24 hours, beside it.
    backfill_steady: bool = True
    growth: bool = True  # run the 1x-history twin in lockstep
    reference: bool | None = None  # None: at scales xs and s
    reference_windows: int = 3  # windows the reference model runs (the first is the catch-up)
    snapshot_share: float = 0.03  # share of organizations and contacts an hourly sync changes
    # A CRM sync every this many hours (0: none; None: every hour, but every 4 hours at
    # scale l, where each sync is a 10M-row contacts snapshot).
    snapshot_every: int | None = None
    # Generated active enrollments added after the catch-up window, waiting at the journeys'
    # delay and wait_for steps and falling due over the next week (0: none).
    enrollments: int = 0
    # Days of history one journey is backtested over (0: no backtest phase).
    backtest_days: int = 30
    workdir: Path | None = None  # kept if given; else a temp folder, removed at the end

    @property
    def hours(self) -> int:
        """The windows of the hour-by-hour phase: catch-up, warm-up, measured."""
        return 1 + self.warmup + self.windows

    @property
    def wants_reference(self) -> bool:
        return self.reference if self.reference is not None else self.scale in ("xs", "s")


def phase_count(options: BenchOptions) -> int:
    """How many times `run_bench` calls its progress callback (for a progress bar)."""
    extra = (1 if options.wants_reference else 0) + (1 if options.backtest_days else 0)
    return 7 + options.hours + 1 + extra


def run_bench(options: BenchOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run every phase of the benchmark; return its figures (see the package docstring)."""
    if options.windows < 5:
        raise ValueError("the steady state needs at least 5 measured windows")
    if options.scale not in sample.SCALES:
        raise ValueError(f"unknown scale {options.scale!r} (known: {', '.join(sample.SCALES)})")
    step = progress or (lambda _phase: None)
    with measure.workdir(options.workdir) as root, RssSampler() as rss:
        return _Bench(options, root, step, rss).run()


class _Bench:
    """One run: its phases in order, each adding figures to `result`."""

    def __init__(self, options: BenchOptions, root: Path, step: Progress, rss: RssSampler):
        self.options, self.root, self.step, self.rss = options, root, step, rss
        self.size = sample.SCALES[options.scale]
        self.result: dict[str, Any] = {"scale": options.scale, "journeys": options.journeys}
        self.notes: list[str] = []
        # The profiled warm-up window: its result, its engine, which window it was.
        self.profiled: tuple[WindowResult, ProfilingEngine, str] | None = None

    def run(self) -> dict[str, Any]:
        hour_files = self._generate()
        twins = self._ingest_history()
        self._hour_by_hour(twins, hour_files)
        main = twins[0]
        self.step("the daily compaction of the activity rollup")
        measure.compaction_figures(self.result, main.con)
        steady_copy = self._backfill(main.con, hour_files)
        measure.state_figures(self.result, main.con)
        main.con.close()
        self._backfill_hour_by_hour(steady_copy, hour_files)
        self._backtest()
        if self.options.wants_reference:
            self.step("the row-at-a-time reference")
            self._reference(hour_files)
        else:
            self.result["reference_speedup"] = None
            self.notes.append(f"no reference run at scale {self.options.scale} (only xs and s)")
        return self._finish()

    # -- the phases ---------------------------------------------------------------------------

    def _generate(self) -> list[list[Path]]:
        """The history's files, the journeys, and each hour's files (returned)."""
        options = self.options
        clock = time.perf_counter()
        self.step("generate data and journeys")
        self.manifest = sample.write_sample(
            self.root / "history", self.size, options.seed, formats="parquet"
        )
        self.journeys_dir = self.root / "journeys"
        write_journeys(self.journeys_dir, options.journeys, self.manifest.end)
        hour_files = [self._write_hour(h) for h in range(options.hours + options.backfill)]
        self.result["generate_s"] = round(time.perf_counter() - clock, 2)
        return hour_files

    def _ingest_history(self) -> list[Twin]:
        """The warehouses, their history ingested: the main one and, for growth, the 1x."""
        self.step("ingest the history")
        main = Twin("4x", warehouse.connect(self.root / "main.duckdb"))
        activities = [path for path in self.manifest.files if file_kind(path) == "activities"]
        snapshots = [path for path in self.manifest.files if path not in set(activities)]
        snapshot_rows, snapshot_s = ingest(main.con, snapshots)
        activity_rows, activity_s = ingest(main.con, activities)
        self.result["ingest_history_rows"] = history_rows = snapshot_rows + activity_rows
        self.result["ingest_history_s"] = round(snapshot_s + activity_s, 3)
        self.result["ingest_rows_per_s"] = round(history_rows / (snapshot_s + activity_s))
        self.step("DuckDB alone loading the history's activity files")
        _, bound_s = measure.ingest_bound(self.root / "ingest-bound.duckdb", activities)
        measure.ingest_figures(self.result, activity_rows, activity_s, bound_s)
        if not self.options.growth:
            self.step("(no 1x history)")
            return [main]
        self.step("ingest the 1x history")
        quarter = Twin("1x", warehouse.connect(self.root / "quarter.duckdb"))
        ingest(quarter.con, self._quarter_files())
        # Each twin keeps the warehouse's own memory limit: the catch-up window of scale l
        # needs it (halved, its rollup of 100M events runs out of memory).
        return [main, quarter]

    def _hour_by_hour(self, twins: list[Twin], hour_files: list[list[Path]]) -> None:
        """Each hour's files into every twin and its window run in each; the measured windows
        each followed by the lower bound."""
        options, main = self.options, twins[0]
        self.step("hour by hour: catch-up, warm-up and measured windows")
        runs = Measured()
        with LowerBound(main.con, self.journeys_dir) as bound:
            for hour in range(options.hours):
                label = "catch-up" if hour == 0 else "warm-up" if hour <= options.warmup else ""
                self.step(f"window {hour + 1}/{options.hours} {label}".rstrip())
                rows, seconds = ingest(main.con, hour_files[hour])
                twin_seconds = [ingest(twin.con, hour_files[hour])[1] for twin in twins[1:]]
                for twin in twins:
                    if twin is main and hour == options.warmup and hour > 0:
                        twin.windows.append(self._profiled_window(main.con, hour))
                    else:
                        twin.windows.append(self._run_window(twin.con, hour))
                if hour == 0 and options.enrollments:
                    for twin in twins:
                        add_enrollments(
                            twin.con, self.journeys_dir, self._window(0).end, options.enrollments
                        )
                    self.result["generated_enrollments"] = options.enrollments
                if hour > options.warmup:
                    runs.hour_ingest.append((rows, seconds))
                    runs.hour_ingest_1x.extend(twin_seconds)
                    runs.executions.append(main.windows[-1].step_runs)
                    runs.lower_bounds.append(bound.measure(self._window(hour)))
            self._capped_figures(main.con, bound)
        self.rss.mark("windows")
        for twin in twins[1:]:
            twin.con.close()
        self._report_windows(twins, runs)

    def _capped_figures(self, con: duckdb.DuckDBPyConnection, bound: LowerBound) -> None:
        """The sends capped in the measured windows, by the engine and by the bound's caps."""
        first, last = self._window(self.options.warmup + 1), self._window(self.options.hours - 1)
        sql = bench_sql("capped_sends", first_end=first.end, last_end=last.end)
        (self.result["capped_sends"],) = con.execute(sql).fetchone()
        self.result["lower_bound_capped_sends"] = bound.capped

    def _report_windows(self, twins: list[Twin], runs: Measured) -> None:
        skip = 1 + self.options.warmup
        measured = twins[0].windows[skip:]
        self.result["catchup_s"] = round(twins[0].windows[0].seconds, 3)
        measure.window_figures(self.result, measured, runs)
        if self.profiled is not None:
            profile_figures(self.result, *self.profiled)
        self.result["events_per_hour"] = self.size.events_per_hour
        quarter = twins[1].windows[skip:] if len(twins) > 1 else None
        measure.growth_figures(self.result, measured, quarter)

    def _backfill(
        self, con: duckdb.DuckDBPyConnection, hour_files: list[list[Path]]
    ) -> Path | None:
        """The next `backfill` hours' files, then one invocation that runs their windows.

        Returns a copy of the warehouse as it was before them (None: no copy wanted), for
        `_backfill_hour_by_hour`."""
        options = self.options
        self.step(f"backfill: {options.backfill} windows in one invocation")
        copy = None
        if options.backfill:
            if options.backfill_steady:
                copy = measure.copy_warehouse(con, self.root / "main.duckdb", "steady.duckdb")
            ingest(con, self._backfill_files(hour_files))
            clock = time.perf_counter()
            report = run_windows(
                DuckDBEngine(con),
                self._window(options.hours + options.backfill - 1).end,
                journeys_dir=self.journeys_dir,
            )
            elapsed = time.perf_counter() - clock
            measure.backfill_figures(self.result, report.windows, elapsed)
        else:
            self.result["backfill_s_per_window"] = None
        self.rss.mark("backfill")
        return copy

    def _backfill_hour_by_hour(self, copy: Path | None, hour_files: list[list[Path]]) -> None:
        """The backfill's hours in the copy from before it, each hour's files then one
        invocation for its window, as the hourly schedule runs them (then the copy goes)."""
        self.step("the backfill's hours again, one invocation an hour")
        if copy is None:
            measure.backfill_steady_figures(self.result, [], [])
            return
        con = warehouse.connect(copy)
        windows, invocations = [], []
        try:
            for hour in range(self.options.hours, self.options.hours + self.options.backfill):
                ingest(con, hour_files[hour])
                clock = time.perf_counter()
                windows.append(self._run_window(con, hour))
                invocations.append(time.perf_counter() - clock)
        finally:
            con.close()
            measure.remove_warehouse(copy)
        measure.backfill_steady_figures(self.result, windows, invocations)
        self.rss.mark("backfill_hour_by_hour")

    def _backtest(self) -> None:
        """One journey backtested over the history's last days and over the steady windows."""
        days = self.options.backtest_days
        if not days:
            self.result["backtest_s"] = None
            return
        self.step(f"backtest one journey over {days} days of history")
        steady = (
            self._window(0).start,
            self._window(self.options.warmup + 1).start,
            self._window(self.options.hours - 1).end,
        )
        backtest_figures(
            self.result,
            self.root / "main.duckdb",
            self.journeys_dir,
            self.manifest.end,
            steady,
            days,
        )
        self.rss.mark("backtest")

    def _reference(self, hour_files: list[list[Path]]) -> None:
        """The engine and the reference over the same first windows, on a fresh warehouse."""
        count = max(2, self.options.reference_windows)
        windows = [self._window(h) for h in range(count)]
        files = self.manifest.files + [p for files in hour_files[:count] for p in files]

        def engine() -> reference.EngineSide:
            database = self.root / "reference.duckdb"
            return reference.run_engine(database, files, windows, self.journeys_dir)

        ends = [window.end for window in windows]
        reference.compare(self.result, self.notes, engine, ends, self.journeys_dir)

    def _finish(self) -> dict[str, Any]:
        result = self.result
        result["peak_rss_mb"] = self.rss.peak_mb("backfill")
        result["peak_rss_process_mb"] = self.rss.process_peak_mb()
        result["peak_rss_by_phase_mb"] = self.rss.by_phase()
        result["targets"] = measure.targets(result)
        result["machine"] = measure.machine()
        result["bench_s"] = round(time.perf_counter() - self.rss.started, 1)
        result["notes"] = self.notes
        return result

    # -- data ---------------------------------------------------------------------------------

    def _window(self, hour: int) -> Window:
        start = self.manifest.end + hour * HOUR
        return Window(start, start + HOUR)

    def _write_hour(self, hour: int) -> list[Path]:
        """An hour's inbox files: its activity and, every `snapshot_every` hours, a CRM sync."""
        options = self.options
        start = self._window(hour).start
        folder = self.root / "hours"
        files = [sample.write_hour(folder, self.size, options.seed, start)]
        every = options.snapshot_every
        if every is None:
            every = 4 if options.scale == "l" else 1
        if every and options.snapshot_share and hour % every == 0 and hour > 0:
            files += sample.write_hour_snapshots(
                folder,
                self.size,
                options.seed,
                start,
                history=(self.manifest.start, self.manifest.end),
                share=options.snapshot_share,
            )
        return files

    def _backfill_files(self, hour_files: list[list[Path]]) -> list[Path]:
        hours = hour_files[self.options.hours : self.options.hours + self.options.backfill]
        return [path for files in hours for path in files]

    def _quarter_files(self) -> list[Path]:
        """The snapshots and the last quarter of the history's day files (1x vs 4x)."""
        snapshots = [p for p in self.manifest.files if not p.name.startswith("activities")]
        days = [p for p in self.manifest.files if p.name.startswith("activities")]
        return snapshots + days[len(days) - max(1, len(days) // 4) :]

    def _profiled_window(self, con: duckdb.DuckDBPyConnection, hour: int) -> WindowResult:
        """The last warm-up window, with DuckDB profiling each statement (`profile`)."""
        with ProfilingEngine(con) as engine:
            done = self._run_window(con, hour, engine)
        self.profiled = (done, engine, f"window {hour + 1} (the last warm-up)")
        return done

    def _run_window(
        self, con: duckdb.DuckDBPyConnection, hour: int, engine: DuckDBEngine | None = None
    ) -> WindowResult:
        window = self._window(hour)
        report = run_windows(
            engine or DuckDBEngine(con), window.end, window.start, journeys_dir=self.journeys_dir
        )
        if len(report.windows) != 1:
            raise RuntimeError(f"expected to run the window ending {window.end}: {report.notes}")
        return report.windows[0]
