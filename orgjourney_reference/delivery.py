"""Delivery rules and holdouts for the reference model, from SPEC section 3 alone.

- Quiet hours: a send window opening on local day `d` (one of its weekdays, or any) spans
  `[d from, d' to)` where `d'` is `d`, or the next day when `to` is not after `from` (the hours
  after midnight belong to the day it opened); local times in the spring gap move forward.
  An instant is inside when some such span holds it; the window "next opens" at the first
  opening instant after the run.
- The zone: with `timezone: organization`, the organization's `timezone` when it is a known
  IANA zone, else the journey's.
- Caps: a send belongs to the calendar day and week (Monday first) of its run in the rules'
  zone; the run's would-be sends compete per contact and channel in the order priority
  (higher first), journey id, step position, send_id, after the sends already counted in the
  period; exempt journeys' sends are neither capped nor counted.
- Holdouts: bucket = int(md5(text)[:8], 16) % 10000, the text being `journey_id|org_id` (a
  journey's holdout) or `org_id` (the global one); held out when the bucket is below the
  percent in hundredths.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache

from . import localtime


@cache
def known_zone(name: object) -> bool:
    return isinstance(name, str) and name in zoneinfo.available_timezones()


def _opening_span(day: date, timezone: str, start: str, end: str) -> tuple[datetime, datetime]:
    opens_at, closes_at = localtime.parse_clock(start), localtime.parse_clock(end)
    closes_on = day + timedelta(days=1) if closes_at <= opens_at else day
    return (
        localtime.instant(datetime.combine(day, opens_at), timezone),
        localtime.instant(datetime.combine(closes_on, closes_at), timezone),
    )


def _allowed(weekdays: tuple[str, ...]) -> set[int]:
    return {localtime.WEEKDAYS.index(day) for day in weekdays} or set(range(7))


def window_open(moment: datetime, timezone: str, window) -> bool:
    """Whether `moment` is inside the send window (`jm.SendWindow`) in `timezone`."""
    today = localtime.today(moment, timezone)
    for day in (today - timedelta(days=1), today):
        if day.weekday() in _allowed(window.weekdays):
            opens, closes = _opening_span(day, timezone, window.start, window.end)
            if opens <= moment < closes:
                return True
    return False


def window_opens_after(moment: datetime, timezone: str, window) -> datetime:
    """The first instant after `moment` at which the send window opens."""
    day = localtime.today(moment, timezone) - timedelta(days=1)
    for _ in range(10):
        if day.weekday() in _allowed(window.weekdays):
            opens, _ = _opening_span(day, timezone, window.start, window.end)
            if opens > moment:
                return opens
        day += timedelta(days=1)
    raise AssertionError("a send window that never opens")


def bucket(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16) % 10000


def held_out(text: str, percent: float | None) -> bool:
    return percent is not None and bucket(text) < round(percent * 100)


def period_starts(run_at: datetime, timezone: str) -> dict[str, datetime]:
    """The instants the calendar day and week (Monday first) of `run_at` began."""
    today = localtime.today(run_at, timezone)
    monday = today - timedelta(days=today.weekday())
    return {
        "day": localtime.instant(datetime.combine(today, datetime.min.time()), timezone),
        "week": localtime.instant(datetime.combine(monday, datetime.min.time()), timezone),
    }


def apply_caps(rules, run_at: datetime, would_be: list[dict], sent: list[tuple]) -> None:
    """Mark the would-be sends over a cap `frequency_capped` (in place).

    `would_be`: this run's rows, each {row, reason, priority, position, exempt}; `sent`: the
    sends made before, each ending with its `counts_toward_caps`.
    """
    if rules is None or not rules.caps:
        return
    starts = period_starts(run_at, rules.timezone)
    competing = sorted(
        (w for w in would_be if w["reason"] is None and not w["exempt"]),
        key=lambda w: (-w["priority"], w["row"][2], w["position"], w["row"][0]),
    )
    made: dict[tuple[str, str], int] = defaultdict(int)
    for candidate in competing:
        contact, channel = candidate["row"][7], candidate["row"][8]
        caps = [cap for cap in rules.caps if cap.channel == channel]
        if not caps:
            continue
        allowed = min(
            cap.max
            - sum(
                1
                for s in sent
                if s[7] == contact and s[8] == channel and s[-1] and s[1] >= starts[cap.per]
            )
            for cap in caps
        )
        if made[(contact, channel)] < allowed:
            made[(contact, channel)] += 1
        else:
            candidate["reason"] = "frequency_capped"
