"""Hourly windows: plan which windows to run, and run each one atomically with its ledger row.

A window `[start, end)` decides everything as of its end. Its work is the ordered SQL step
files of `sql/window/` (load the window's activity, roll it up; later: unsubscribes,
conversions, exits, entries, steps, sends), executed by the runner in `sqlsteps`, inside one
transaction that also appends the window's row to `runs`. A crash leaves the warehouse as it
was before the window; a window already in `runs` is never processed again.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from orgjourney_pipeline import sqlsteps
from orgjourney_pipeline.warehouse import transaction, utc_now

HOUR = timedelta(hours=1)

# Test hook: `raise:<step>` or `kill:<step>` stops a window right after that step, so the
# tests can prove that an interrupted window leaves nothing behind.
FAULT_ENV = "ORGJOURNEY_FAULT"


@dataclass(frozen=True)
class Window:
    """One hourly window `[start, end)`, aligned to UTC hours."""

    start: datetime
    end: datetime


@dataclass
class WindowResult:
    """What one window did: rows written per step and how long it took."""

    window: Window
    counts: dict[str, int]
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class RunReport:
    """What a `run` invocation did."""

    windows: list[WindowResult]
    notes: list[str]
    dry_run: bool = False

    @property
    def statements_per_window(self) -> int:
        return len(self.windows[0].step_seconds) if self.windows else 0


@dataclass
class WindowPlan:
    """The windows a run will process, and what it has to tell the user about them."""

    windows: list[Window]
    notes: list[str]


class WindowFault(RuntimeError):
    """Raised by the fault-injection hook (tests only)."""


def floor_hour(instant: datetime) -> datetime:
    """The UTC hour that contains `instant`."""
    return instant.replace(minute=0, second=0, microsecond=0)


def plan_windows(
    con: duckdb.DuckDBPyConnection, through: datetime, start: datetime | None = None
) -> WindowPlan:
    """Every unprocessed window ending at or before `through`.

    The first starts right after the last processed window; on a warehouse with none, at
    `start` (floored to the hour), or else it is the single window ending at `through`.
    """
    last_end = con.execute("select max(window_end) from runs").fetchone()[0]
    last_window_end = floor_hour(through)
    notes: list[str] = []
    if last_end is not None:
        first_start = last_end
        if start is not None and floor_hour(start) != last_end:
            notes.append(
                f"--from {start:%Y-%m-%dT%H:%M} ignored: continuing after the last processed "
                f"window, which ended at {last_end:%Y-%m-%dT%H:%M}"
            )
    elif start is not None:
        first_start = floor_hour(start)
        if first_start != start:
            notes.append(f"--from {start:%Y-%m-%dT%H:%M} floored to the hour {first_start:%H:%M}")
    else:
        first_start = last_window_end - HOUR
    windows = []
    cursor = first_start
    while cursor + HOUR <= last_window_end:
        windows.append(Window(cursor, cursor + HOUR))
        cursor += HOUR
    if not windows:
        if last_end is not None and last_end >= last_window_end:
            notes.append(
                f"nothing to do: every window through {last_end:%Y-%m-%dT%H:%M} "
                "is already processed"
            )
        else:
            notes.append(f"nothing to do: no complete window ends by {through:%Y-%m-%dT%H:%M}")
    return WindowPlan(windows, notes)


def run_windows(
    con: duckdb.DuckDBPyConnection,
    through: datetime,
    start: datetime | None = None,
    *,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every planned window in order, each in its own transaction.

    A dry run computes every window inside one transaction and rolls it back at the end.
    """
    plan = plan_windows(con, through, start)
    steps = sqlsteps.load_steps()
    load_seq = con.execute("select coalesce(max(load_seq), 0) from ingested_files").fetchone()[0]
    results: list[WindowResult] = []
    if dry_run:
        with transaction(con, commit=False):
            for window in plan.windows:
                results.append(_run_window(con, window, steps, load_seq))
                if on_window:
                    on_window(results[-1])
        return RunReport(results, plan.notes, dry_run=True)
    for window in plan.windows:
        with transaction(con):
            results.append(_run_window(con, window, steps, load_seq))
        if on_window:
            on_window(results[-1])
    return RunReport(results, plan.notes)


def _run_window(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    steps: list[sqlsteps.SqlStep],
    load_seq: int,
) -> WindowResult:
    """Run every step of one window and append its `runs` row (the caller owns the transaction)."""
    started_at, clock = utc_now(), time.perf_counter()
    params = window_parameters(con, window, load_seq)
    counts: dict[str, int] = {}
    step_seconds: dict[str, float] = {}
    for step in steps:
        step_clock = time.perf_counter()
        counts[step.name] = sqlsteps.run_step(con, step, params)
        step_seconds[step.name] = time.perf_counter() - step_clock
        _maybe_fault(step.name)
    con.execute(
        "insert into runs (window_start, window_end, started_at, finished_at, status,"
        " load_seq_through, counts) values (?, ?, ?, ?, 'ok', ?, ?)",
        [window.start, window.end, started_at, utc_now(), load_seq, json.dumps(counts)],
    )
    return WindowResult(window, counts, time.perf_counter() - clock, step_seconds)


def window_parameters(
    con: duckdb.DuckDBPyConnection, window: Window, load_seq: int
) -> dict[str, object]:
    """The values every window step may use.

    `prev_load_seq` is what the previous run had loaded (-1 before the first run, so the
    first window rolls up all history); events loaded after it are late arrivals.
    """
    previous = con.execute(
        "select load_seq_through from runs where window_end = ?", [window.start]
    ).fetchone()
    first_start = con.execute("select min(window_start) from runs").fetchone()[0]
    return {
        "window_start": window.start,
        "window_end": window.end,
        "load_seq": load_seq,
        "prev_load_seq": previous[0] if previous else -1,
        "first_window_start": first_start or window.start,
    }


def _maybe_fault(step_name: str) -> None:
    fault = os.environ.get(FAULT_ENV, "")
    action, _, where = fault.partition(":")
    if where != step_name:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise WindowFault(f"injected fault after step {step_name}")
