"""Which hourly windows a run processes: every unprocessed one ending at or before `--through`.

Example:
    >>> from datetime import datetime
    >>> floor_hour(datetime(2026, 1, 5, 9, 41))
    datetime.datetime(2026, 1, 5, 9, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    """One hourly window `[start, end)`, aligned to UTC hours."""

    start: datetime
    end: datetime


@dataclass
class WindowPlan:
    """The windows a run will process, and what it has to tell the user about them."""

    windows: list[Window]
    notes: list[str]


def floor_hour(instant: datetime) -> datetime:
    """The UTC hour that contains `instant`."""
    return instant.replace(minute=0, second=0, microsecond=0)


def last_window_end(engine: Engine) -> datetime | None:
    """The end of the last processed window (None before the first)."""
    return engine.rows(sqlfiles.load("runner/last_window_end.sql").sql())[0][0]


def plan_windows(engine: Engine, through: datetime, start: datetime | None = None) -> WindowPlan:
    """Every unprocessed window ending at or before `through`.

    The first starts right after the last processed window; on a warehouse with none, at
    `start` (floored to the hour), or else it is the single window ending at `through`.
    """
    last_end = last_window_end(engine)
    final_end = floor_hour(through)
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
        first_start = final_end - HOUR
    windows = []
    cursor = first_start
    while cursor + HOUR <= final_end:
        windows.append(Window(cursor, cursor + HOUR))
        cursor += HOUR
    if not windows:
        if last_end is not None and last_end >= final_end:
            notes.append(
                f"nothing to do: every window through {last_end:%Y-%m-%dT%H:%M} is already processed"
            )
        else:
            notes.append(f"nothing to do: no complete window ends by {through:%Y-%m-%dT%H:%M}")
    return WindowPlan(windows, notes)
