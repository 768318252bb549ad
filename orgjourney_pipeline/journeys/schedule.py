"""Local time in a journey's time zone: scheduled instants, durations, the spring gap.

Every rule here is about one journey in one window, never about rows, so it runs in Python
once per journey and window and reaches SQL as literals: the SQL stays portable and set-wise.
Instants are naive UTC datetimes; local values are naive wall-clock datetimes.

- Minutes and hours are exact durations; days keep the local time of day across daylight
  saving changes.
- A local time that does not exist on a day (the spring gap) moves forward to the first
  one that does; a repeated one (the autumn fold) is its first occurrence.
- A scheduled instant belongs to the window that contains it: `start < instant <= end`.

Example:
    >>> from datetime import datetime, time
    >>> local_to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York")  # in the gap
    datetime.datetime(2026, 3, 8, 7, 0)
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from orgjourney_pipeline.journeys.model import WEEKDAYS


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone (cached)."""
    return ZoneInfo(name)


def to_local(instant: datetime, timezone: str) -> datetime:
    """A UTC instant as local wall-clock time."""
    return instant.replace(tzinfo=UTC).astimezone(zone(timezone)).replace(tzinfo=None)


def local_to_utc(local: datetime, timezone: str) -> datetime:
    """A local wall-clock time as a UTC instant; in the spring gap, the first time after it."""
    tz = zone(timezone)
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant.replace(tzinfo=None)
    # In the gap: the first existing local time is the transition itself. Walk forward to it.
    probe = local.replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if candidate.astimezone(tz).replace(tzinfo=None) == probe:
            return candidate.replace(tzinfo=None)
    raise ValueError(f"no local time after {local} exists in {timezone}")


def local_today(instant: datetime, timezone: str) -> date:
    """ "Today" for a run: the local date of its window end."""
    return to_local(instant, timezone).date()


def add_duration(
    instant: datetime, timezone: str, *, minutes: int = 0, hours: int = 0, days: int = 0
) -> datetime:
    """`instant` plus a duration: minutes and hours exact, days in local calendar days."""
    moved = instant + timedelta(minutes=minutes, hours=hours)
    if days:
        local = to_local(moved, timezone) + timedelta(days=days)
        moved = local_to_utc(local, timezone)
    return moved


def next_local_time(
    after: datetime, timezone: str, at: time, weekdays: tuple[str, ...] = ()
) -> datetime:
    """The first local `at` on one of `weekdays` (any day if none) strictly after `after`."""
    local_after = to_local(after, timezone)
    allowed = {WEEKDAYS.index(day) for day in weekdays} or set(range(7))
    for offset in range(0, 9):
        day = local_after.date() + timedelta(days=offset)
        if day.weekday() not in allowed:
            continue
        instant = local_to_utc(datetime.combine(day, at), timezone)
        if instant > after:
            return instant
    raise ValueError(f"no {at} on {weekdays} after {after}")


def local_dates_of_window(start: datetime, end: datetime, timezone: str) -> list[date]:
    """The local dates a window `(start, end]` touches (one or two)."""
    first, last = to_local(start, timezone).date(), to_local(end, timezone).date()
    days = [first]
    while days[-1] < last:
        days.append(days[-1] + timedelta(days=1))
    return days


def instants_in_window(start: datetime, end: datetime, timezone: str, at: time, keep) -> list[date]:
    """Local dates `d` with `keep(d)` whose local `at` falls in the window `(start, end]`."""
    fired = []
    for day in local_dates_of_window(start, end, timezone):
        if keep(day) and start < local_to_utc(datetime.combine(day, at), timezone) <= end:
            fired.append(day)
    return fired


def recurring_fires(
    start: datetime,
    end: datetime,
    timezone: str,
    every: str,
    at: time,
    on: tuple[str, ...] = (),
    day_of_month: int | None = None,
) -> bool:
    """Whether a `recurring` schedule has an instant in the window `(start, end]`."""

    def keep(day: date) -> bool:
        if every == "week":
            return WEEKDAYS[day.weekday()] in (on or WEEKDAYS)
        if every == "month":
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(day_of_month or 1, last)
        return True

    return bool(instants_in_window(start, end, timezone, at, keep))


def anniversary_dates(start: datetime, end: datetime, timezone: str, at: time) -> list[date]:
    """Local dates whose anniversary instant (`at` local time) falls in the window."""
    return instants_in_window(start, end, timezone, at, lambda day: True)


def parse_clock(text: str | None) -> time:
    """`HH:MM` -> time (default midnight)."""
    if not text:
        return time(0, 0)
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def is_leap(year: int) -> bool:
    """Whether a year has a 29 February."""
    return calendar.isleap(year)


def send_window_spans(
    day: date, timezone: str, start: time, end: time
) -> tuple[datetime, datetime]:
    """The instants a send window opening on local `day` opens and closes (`end` exclusive;
    an `end` at or before `start` is on the next day; the spring gap moves either forward)."""
    closes_on = day + timedelta(days=1) if end <= start else day
    return (
        local_to_utc(datetime.combine(day, start), timezone),
        local_to_utc(datetime.combine(closes_on, end), timezone),
    )


def send_window_open(
    instant: datetime, timezone: str, start: time, end: time, weekdays: tuple[str, ...] = ()
) -> bool:
    """Whether `instant` is inside a send window opening at local `start` on `weekdays` (any
    day if none): the window that opened on its local day, or on the day before (midnight).

    Example:
        >>> send_window_open(datetime(2026, 1, 5, 23), "UTC", time(22), time(6), ("monday",))
        True
        >>> send_window_open(datetime(2026, 1, 6, 5), "UTC", time(22), time(6), ("monday",))
        True
        >>> send_window_open(datetime(2026, 1, 6, 23), "UTC", time(22), time(6), ("monday",))
        False
    """
    allowed = {WEEKDAYS.index(day) for day in weekdays} or set(range(7))
    today = to_local(instant, timezone).date()
    for day in (today - timedelta(days=1), today):
        if day.weekday() in allowed:
            opens, closes = send_window_spans(day, timezone, start, end)
            if opens <= instant < closes:
                return True
    return False


def send_window_opens_after(
    instant: datetime, timezone: str, start: time, end: time, weekdays: tuple[str, ...] = ()
) -> datetime:
    """The first instant strictly after `instant` at which the send window opens."""
    allowed = {WEEKDAYS.index(day) for day in weekdays} or set(range(7))
    today = to_local(instant, timezone).date()
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        if day.weekday() in allowed:
            opens, _ = send_window_spans(day, timezone, start, end)
            if opens > instant:
                return opens
    raise ValueError(f"the send window {start}-{end} on {weekdays} never opens after {instant}")
