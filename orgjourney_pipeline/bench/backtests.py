"""The backtest figure of the benchmark (SPEC section 6): one journey over 30 days of history.

After the other phases, with the main warehouse closed, `orgjourney backtest`'s own function
runs one benchmark journey (`BACKTEST_JOURNEY`, the activity-entry shape: it triggers on
events, sends, waits for an activity and converts) over the last `days` days of the history
(`backtest_s`, `backtest_s_per_window`; its first window, which rolls up the whole history,
is `backtest_first_window_s`), and again over the benchmark's own windows, from its
catch-up, averaging the steady windows it measured, whose hours carry the scale's steady
traffic (`backtest_steady_s_per_window`).
Both exclude the copy of the warehouse's inputs into the scratch database, which is reported
on its own (`backtest_copy_s`): it is paid once per backtest, not per window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orgjourney_pipeline.backtest import backtest, read_journey_file

#: The journey the benchmark backtests: `bench-001`, the activity-entry shape.
BACKTEST_JOURNEY = "bench-001"


def backtest_figures(
    result: dict[str, Any],
    database: Path,
    journeys_dir: Path,
    history_end: datetime,
    steady: tuple[datetime, datetime, datetime],
    days: int,
) -> None:
    """Backtest `BACKTEST_JOURNEY` over the `days` days before `history_end`, and over the
    benchmark's windows `steady` (the start of its first, the catch-up; the start of the first
    measured one; the end of the last); add the figures to `result`.

    The steady figure averages the measured windows only: a backtest's first window rolls up
    the whole history, as the benchmark's catch-up window does, and is no steady window.
    """
    source = journeys_dir / f"{BACKTEST_JOURNEY}.yaml"
    journey = read_journey_file(source)
    history = backtest(
        database, journey, history_end - timedelta(days=days), history_end, journeys_dir
    )
    first, measured, last = steady
    steady_run = backtest(database, journey, first, last, journeys_dir)
    measured_seconds = [
        seconds for start, seconds in steady_run.window_seconds.items() if start >= measured
    ]
    result["backtest_journey"] = journey.id
    result["backtest_windows"] = history.windows
    result["backtest_s"] = round(history.seconds["copy"] + history.seconds["windows"], 3)
    result["backtest_copy_s"] = history.seconds["copy"]
    result["backtest_first_window_s"] = round(history.window_seconds[history.start], 4)
    result["backtest_s_per_window"] = round(history.seconds["windows"] / history.windows, 4)
    result["backtest_steady_windows"] = len(measured_seconds)
    result["backtest_steady_s_per_window"] = round(sum(measured_seconds) / len(measured_seconds), 4)
    result["backtest_sends"] = history.totals()["sent"]
