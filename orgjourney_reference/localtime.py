"""Local time for the reference model, written from SPEC section 2 with `zoneinfo` only.

Instants are naive UTC datetimes (as the warehouse stores them); local values are naive
wall-clock datetimes in a journey's time zone.

- Minutes and hours are exact durations; days keep the local time of day.
- A local time that does not exist (the spring gap) moves forward to the first local time
  that does: the instant of the transition itself.
- A repeated local time (the autumn fold) is read as its first occurrence.
- A scheduled instant belongs to the window that contains it: `start < instant <= end`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(instant: datetime, timezone: str) -> datetime:
    """A UTC instant as wall-clock time in `timezone`."""
    return instant.replace(tzinfo=UTC).astimezone(_zone(timezone)).replace(tzinfo=None)


def today(instant: datetime, timezone: str) -> date:
    """The local date of an instant ("today" for a run is the local date of its window end)."""
    return local(instant, timezone).date()


def instant(wall: datetime, timezone: str) -> datetime:
    """A wall-clock time as a UTC instant; in the spring gap, the first existing time after it."""
    zone = _zone(timezone)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC).replace(tzinfo=None)
    if local(first, timezone) == wall:
        return first
    # In a gap: the answer is the transition, the smallest instant whose local time is past
    # `wall`. fold=1 reads `wall` with the offset after the change (an instant before the
    # gap), fold=0 with the one before (an instant after it): bisect between, by the minute.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(tzinfo=None)
    high = first
    minute = timedelta(minutes=1)
    while high - low > minute:
        middle = low + ((high - low) // minute // 2) * minute
        if local(middle, timezone) >= wall:
            high = middle
        else:
            low = middle
    return high


def add_duration(
    start: datetime, timezone: str, minutes: float = 0, hours: float = 0, days: float = 0
) -> datetime:
    """`start` plus minutes and hours (exact) and days (local calendar days, same local time)."""
    moved = start + timedelta(minutes=minutes, hours=hours)
    if days:
        moved = instant(local(moved, timezone) + timedelta(days=days), timezone)
    return moved


def next_local_time(after: datetime, timezone: str, clock: str, weekdays: tuple[str, ...]):
    """The first local `clock` time (on one of `weekdays`, any if none) strictly after `after`."""
    at = parse_clock(clock)
    allowed = {WEEKDAYS.index(day) for day in weekdays} if weekdays else set(range(7))
    day = local(after, timezone).date() - timedelta(days=1)
    for _ in range(16):
        if day.weekday() in allowed:
            candidate = instant(datetime.combine(day, at), timezone)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise AssertionError("no such local time within two weeks")


def scheduled_days(
    start: datetime, end: datetime, timezone: str, clock: str, keep: Callable[[date], bool]
) -> list[date]:
    """Local dates `d` (with `keep(d)`) whose local `clock` time falls in `(start, end]`."""
    at = parse_clock(clock)
    days = []
    day = local(start, timezone).date() - timedelta(days=1)
    last = local(end, timezone).date() + timedelta(days=1)
    while day <= last:
        if keep(day) and start < instant(datetime.combine(day, at), timezone) <= end:
            days.append(day)
        day += timedelta(days=1)
    return days


def recurring_fires(
    start: datetime,
    end: datetime,
    timezone: str,
    every: str,
    clock: str,
    on: tuple[str, ...],
    day_of_month: int | None,
) -> bool:
    """Whether `every day / week / month` at `clock` has an instant in `(start, end]`."""

    def keep(day: date) -> bool:
        if every == "week":
            return WEEKDAYS[day.weekday()] in on
        if every == "month":
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(day_of_month or 1, last)
        return True

    return bool(scheduled_days(start, end, timezone, clock, keep))


def is_anniversary(field: date, day: date) -> bool:
    """`day` is an anniversary of `field` (a later year; 29 February on the 28th otherwise)."""
    if field.year >= day.year:
        return False
    if (field.month, field.day) == (day.month, day.day):
        return True
    return (
        (field.month, field.day) == (2, 29)
        and (day.month, day.day) == (2, 28)
        and not calendar.isleap(day.year)
    )


def parse_clock(text: str | None) -> time:
    hours, minutes = (text or "00:00").split(":")
    return time(int(hours), int(minutes))
