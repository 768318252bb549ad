"""Measurement for the benchmark: timed ingests, resident memory, and the figures of a run.

`window_figures`, `compaction_figures` and `state_figures` add their keys to the result
dict of `run_bench` (the JSON of `orgjourney bench --json`); `targets` judges the issue's
targets (`TARGETS`) on it; `machine` says where it ran.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psutil
from sqlglot import exp

from orgjourney_pipeline import sqlfiles, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.ingest import ingest_paths
from orgjourney_pipeline.windows import steps as sqlsteps
from orgjourney_pipeline.windows.window import WindowResult

#: Called with each phase's name as the run reaches it (a progress bar).
Progress = Callable[[str], None]

#: The issues' targets: (JSON key, comparison, bound, the scales it applies to).
TARGETS = (
    ("ratio", "<=", 3.0, "l"),
    ("growth", "<=", 1.2, "l"),
    ("peak_rss_mb", "<=", 8 * 1024, "l"),
    # A backfill's window against the same hour run hourly, per invocation (issue 20).
    ("backfill_ratio", "<=", 1.2, "m or l"),
    ("reference_speedup", ">=", 50.0, "s"),
    ("backtest_s", "<=", 300.0, "m"),  # 30 days (720 windows) of one journey
    ("ingest_activities_rows_per_s", ">=", 3_000_000, "l"),  # Parquet, the history
    ("ingest_hour_growth", "<=", 1.2, "l"),  # an hour's files, 4x history against 1x
)


def bench_sql(name: str, **values: object) -> str:
    """The bench SQL file `sql/bench/<name>.sql`, bound, as DuckDB SQL."""
    return sqlfiles.load(f"bench/{name}.sql").sql(**values)


def ingest(con: duckdb.DuckDBPyConnection, files: list[Path]) -> tuple[int, float]:
    """Ingest files; (rows read, seconds). Rejects would make the figures meaningless."""
    clock = time.perf_counter()
    report = ingest_paths(con, files)
    seconds = time.perf_counter() - clock
    if not report.ok:
        raise RuntimeError(f"benchmark input rejected: {[f.message for f in report.files]}")
    return sum(f.rows_total for f in report.files), seconds


@contextlib.contextmanager
def workdir(given: Path | None) -> Iterator[Path]:
    """`given`, emptied (and kept), or a temporary folder removed at the end."""
    if given is not None:
        given = Path(given)
        if given.exists():
            shutil.rmtree(given)
        given.mkdir(parents=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="orgjourney-bench-") as folder:
        yield Path(folder)


class RssSampler:
    """Samples the process's resident memory every 50 ms; peaks per phase (`mark`)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peaks: dict[str, int] = {}
        self.current = 0
        self.started = time.perf_counter()

    def __enter__(self) -> RssSampler:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.stop.wait(0.05):
            self.current = max(self.current, self.process.memory_info().rss)

    def mark(self, phase: str) -> None:
        """End a phase: its peak is the largest sample since the previous mark."""
        self.current = max(self.current, self.process.memory_info().rss)
        self.peaks[phase], self.current = self.current, 0

    def peak_mb(self, phase: str) -> int | None:
        peak = self.peaks.get(phase)
        return round(peak / 2**20) if peak else None

    def by_phase(self) -> dict[str, int]:
        return {phase: round(peak / 2**20) for phase, peak in self.peaks.items()}

    def process_peak_mb(self) -> int:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def memory_limit_mb() -> int:
    """The warehouse's configured DuckDB memory limit, in MB."""
    with duckdb.connect(config={"memory_limit": warehouse._config()["memory_limit"]}) as con:
        (text,) = con.execute(bench_sql("memory_limit")).fetchone()
    number, unit = text.split()
    factor = {"KiB": 2**-10, "MiB": 1, "GiB": 2**10, "TiB": 2**20}.get(unit, 1)
    return max(1, round(float(number) * factor))


def median_phases(windows: list[WindowResult]) -> dict[str, float]:
    """Each step's median seconds over the windows, the slowest first."""
    names = {name for window in windows for name in window.step_seconds}
    phases = {
        name: round(statistics.median(w.step_seconds.get(name, 0.0) for w in windows), 4)
        for name in names
    }
    return dict(sorted(phases.items(), key=lambda kv: -kv[1]))


@dataclass
class Twin:
    """One warehouse of the run: the main one (4x history) or the 1x-history one."""

    name: str
    con: duckdb.DuckDBPyConnection
    windows: list[WindowResult] = field(default_factory=list)


@dataclass
class Measured:
    """What the hour-by-hour phase measured in each measured window, in order."""

    hour_ingest: list[tuple[int, float]] = field(default_factory=list)  # (rows, seconds)
    hour_ingest_1x: list[float] = field(default_factory=list)  # seconds, the 1x twin
    lower_bounds: list[dict[str, float]] = field(default_factory=list)  # part -> seconds
    executions: list[int] = field(default_factory=list)  # step runs of the main window


def window_figures(result: dict[str, Any], measured: list[WindowResult], runs: Measured) -> None:
    """The steady-state figures: window seconds, the lower bound and the ratio, phases."""
    seconds = [w.seconds for w in measured]
    result["window_s"] = round(statistics.median(seconds), 4)
    result["window_min_s"] = round(min(seconds), 4)
    result["window_max_s"] = round(max(seconds), 4)
    result["window_seconds"] = [round(s, 4) for s in seconds]
    bounds = [sum(parts.values()) for parts in runs.lower_bounds]
    result["lower_bound_s"] = round(statistics.median(bounds), 4)
    result["lower_bound_seconds"] = [round(s, 4) for s in bounds]
    result["lower_bound_parts_s"] = {
        part: round(statistics.median(p[part] for p in runs.lower_bounds), 4)
        for part in runs.lower_bounds[0]
    }
    # The ratio of medians, and the median of the per-window ratios (side by side).
    result["ratio"] = round(result["window_s"] / result["lower_bound_s"], 2)
    result["ratio_per_window"] = [round(w / b, 2) for w, b in zip(seconds, bounds, strict=True)]
    result["phases_s"] = median_phases(measured)
    result["python_overhead_s"] = round(
        statistics.median(w.seconds - sum(w.step_seconds.values()) for w in measured), 4
    )
    result["statements_per_window"] = len(result["phases_s"])
    result["step_runs_per_window"] = round(statistics.median(runs.executions))
    result["sends_per_window"] = round(
        statistics.median(w.counts.get("82_record_sends", 0) for w in measured)
    )
    result["entries_per_window"] = round(
        statistics.median(w.counts.get("57_new_enrollments", 0) for w in measured)
    )
    rows, seconds = sum(r for r, _ in runs.hour_ingest), sum(s for _, s in runs.hour_ingest)
    result["ingest_hour_rows"] = round(rows / len(runs.hour_ingest))
    result["ingest_hour_rows_per_s"] = round(rows / seconds)
    # The same hours' files into the warehouse with 1x history: flat in history is ~1.
    result["ingest_hour_growth"] = (
        round(seconds / sum(runs.hour_ingest_1x), 3) if runs.hour_ingest_1x else None
    )


def ingest_bound(path: Path, files: list[Path]) -> tuple[int, float]:
    """DuckDB alone loading `files` (all Parquet or all CSV) into a fresh warehouse's
    `activities`: (rows, seconds)."""
    return _bound_statement(path, "ingest_bound", files)


def ingest_bound_parts(path: Path, files: list[Path]) -> dict[str, tuple[int, float]]:
    """DuckDB alone on the same activity files, part by part of the ingest bound: reading
    them with every column decoded to the type the bound stores and nothing stored
    (`decode`), the bound's insert into an in-memory warehouse (`memory`), and the bound
    itself, into a warehouse on disk and committed (`disk`, what `ingest_bound` measures).
    (rows, seconds) each, run in that order, one after the other."""
    return {
        "decode": _bound_statement(":memory:", "ingest_bound_decode", files),
        "memory": _bound_statement(":memory:", "ingest_bound", files),
        "disk": ingest_bound(path, files),
    }


def _bound_statement(target: Path | str, statement: str, files: list[Path]) -> tuple[int, float]:
    """The bench statement `statement` over `files` (its first column the rows it read), in a
    fresh warehouse at `target`, removed after unless in memory: (rows, seconds)."""
    con = warehouse.connect(target)
    try:
        clock = time.perf_counter()
        _bound_rows(con, files)
        rows = con.execute(bench_sql(statement)).fetchone()[0]
        return rows, time.perf_counter() - clock
    finally:
        con.close()
        if str(target) != ":memory:":
            remove_warehouse(Path(target))


def _bound_rows(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """The view `ingest_bound_rows` over `files`, all Parquet or all CSV."""
    suffixes = {file.suffix for file in files}
    if suffixes not in ({".parquet"}, {".csv"}):
        raise ValueError(f"the ingest bound reads Parquet or CSV files, not {sorted(suffixes)}")
    name = "ingest_bound_csv_rows" if suffixes == {".csv"} else "ingest_bound_parquet_rows"
    paths = exp.Array(expressions=[exp.Literal.string(str(file)) for file in files])
    con.execute(bench_sql(name, files=paths))


def ingest_figures(result: dict[str, Any], rows: int, seconds: float, bound_s: float) -> None:
    """The history's activity files: rows per second loaded, and against DuckDB alone."""
    result["ingest_activities_rows"] = rows
    result["ingest_activities_rows_per_s"] = round(rows / seconds)
    result["ingest_bound_rows_per_s"] = round(rows / bound_s)
    result["ingest_ratio"] = round(seconds / bound_s, 2)


def backfill_figures(result: dict[str, Any], windows: list[WindowResult], elapsed: float) -> None:
    """The backfill's figures: seconds per window of the invocation, and where they go."""
    result["backfill_windows"] = len(windows)
    result["backfill_s_per_window"] = round(elapsed / len(windows), 4)
    result["backfill_window_seconds"] = [round(w.seconds, 4) for w in windows]
    result["backfill_window_s"] = round(statistics.median(w.seconds for w in windows), 4)
    result["backfill_window_sends"] = [w.counts.get("82_record_sends", 0) for w in windows]
    # Reading the journey files and checking their SQL, once for the invocation.
    result["backfill_invocation_s"] = round(elapsed - sum(w.seconds for w in windows), 3)
    result["backfill_phases_s"] = median_phases(windows)
    result["backfill_python_overhead_s"] = round(
        statistics.median(w.seconds - sum(w.step_seconds.values()) for w in windows), 4
    )


def copy_warehouse(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> Path:
    """A copy of the warehouse file at `path` (open on `con`, checkpointed first), beside it."""
    con.execute("checkpoint")
    copy = path.with_name(name)
    shutil.copyfile(path, copy)
    return copy


def remove_warehouse(path: Path) -> None:
    """A warehouse file and what DuckDB keeps beside it."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)


def backfill_steady_figures(
    result: dict[str, Any], windows: list[WindowResult], invocations: list[float]
) -> None:
    """The backfill's hours run hourly (one invocation each), beside the backfill: the same
    windows on the same data, so `backfill_ratio` compares like with like (None: not run)."""
    if not windows:
        result["backfill_steady_s_per_window"] = result["backfill_ratio"] = None
        return
    result["backfill_steady_window_seconds"] = [round(w.seconds, 4) for w in windows]
    result["backfill_steady_window_s"] = round(statistics.median(w.seconds for w in windows), 4)
    result["backfill_steady_window_sends"] = [w.counts.get("82_record_sends", 0) for w in windows]
    result["backfill_steady_invocation_seconds"] = [round(s, 4) for s in invocations]
    result["backfill_steady_s_per_window"] = round(statistics.mean(invocations), 4)
    result["backfill_steady_phases_s"] = median_phases(windows)
    # Seconds per window of the one invocation over those of the hourly ones, and the
    # windows' own medians (the invocations' journey reading and checking left out).
    result["backfill_ratio"] = round(
        result["backfill_s_per_window"] / result["backfill_steady_s_per_window"], 3
    )
    result["backfill_window_ratio"] = round(
        result["backfill_window_s"] / result["backfill_steady_window_s"], 3
    )


def growth_figures(
    result: dict[str, Any], measured: list[WindowResult], quarter: list[WindowResult] | None
) -> None:
    """The growth figures: the same windows with 4x history against 1x (None: no 1x twin)."""
    if quarter is None:
        result["growth"] = None
        return
    t1 = statistics.median(w.seconds for w in quarter)
    result["growth"] = round(result["window_s"] / t1, 3)
    result["growth_window_1x_s"] = round(t1, 4)
    result["growth_per_window"] = [
        round(a.seconds / b.seconds, 3) for a, b in zip(measured, quarter, strict=True)
    ]
    result["growth_phases_1x_s"] = median_phases(quarter)


def compaction_figures(result: dict[str, Any], con: duckdb.DuckDBPyConnection) -> None:
    """Time the steps that only the window ending at midnight UTC runs (merging the recent
    part of the activity rollup into `contact_activity`), over what the windows so far left
    in the recent part, in a transaction rolled back after. The measured windows do not end
    at midnight, so this cost is not in `window_s`; once a day, it adds to one window."""
    steps = [
        step
        for step in sqlsteps.load_steps()
        if isinstance(step, sqlsteps.SqlStep) and step.when == "compact_activity"
    ]
    (recent_rows,) = con.execute(bench_sql("compaction_recent_rows")).fetchone()
    with warehouse.transaction(con, commit=False):
        clock = time.perf_counter()
        for step in steps:
            sqlsteps.run_step(DuckDBEngine(con), step, {"compact_activity": True})
        seconds = time.perf_counter() - clock
    result["compaction_s"] = round(seconds, 4)
    result["compaction_recent_rows"] = recent_rows
    result["compaction_s_per_window"] = round(seconds / 24, 4)


def state_figures(result: dict[str, Any], con: duckdb.DuckDBPyConnection) -> None:
    """The warehouse's state after the run: events, active enrollments, sends."""
    events, active, sends = con.execute(bench_sql("state_counts")).fetchone()
    result["history_events"] = events
    result["active_enrollments"] = active
    result["sends_total"] = sends


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each issue target: its bound, the value here, and whether it holds (None: not measured
    or another scale)."""
    judged = {}
    for key, op, bound, scale in TARGETS:
        value = result.get(key)
        applies = result["scale"] in scale.split(" or ")
        met = None
        if value is not None and applies:
            met = value <= bound if op == "<=" else value >= bound
        judged[key] = {"target": f"{op} {bound:g} at scale {scale}", "value": value, "met": met}
    return judged


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "duckdb": duckdb.__version__,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
