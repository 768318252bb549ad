"""The activity rows: hours of events (segments), the history's day files, their statement.

The history spreads `scale.events` over its hours by weight (hour of day, weekday, growth);
each day file holds its 24 hours and, after the previous day's last hours, the few of their
rows delivered again. An hourly file is one segment of `events_per_hour` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlglot import exp

from orgjourney_pipeline.sample.sizes import SampleSize
from orgjourney_pipeline.sample.statements import compose, sql_file, weighted_choice
from orgjourney_pipeline.sample.world import (
    ACTIVE_SHARE,
    ACTIVITY_TYPES,
    GROWTH,
    HOUR_OF_DAY,
    HOUR_US,
    REDELIVERED_HOURS,
    REDELIVERED_SHARE,
    WEEKDAY,
    epoch_us,
)


@dataclass(frozen=True)
class Segment:
    """One hour of activity rows: its start, its row numbers, and whether it is the file's."""

    hour_us: int  # the hour's start, microseconds since the epoch (naive UTC)
    first: int  # its first row number
    events: int  # its row count
    own: bool  # False: a previous day's hour, of which only re-delivered rows are written


def activities_statement(
    segments: list[Segment], *, stream: int, id_prefix: str, id_digits: int
) -> tuple[exp.Expression, dict[str, Any]]:
    """The query of the rows of `segments`, and the parameters of its own."""
    activity_type = weighted_choice(exp.column("u_type"), ACTIVITY_TYPES)
    query = compose(sql_file("activities"), activity_type_choice=activity_type)
    return query, {
        "stream": stream,
        "hour_us": [segment.hour_us for segment in segments],
        "firsts": [segment.first for segment in segments],
        "counts": [segment.events for segment in segments],
        "owns": [segment.own for segment in segments],
        "redelivered_share": REDELIVERED_SHARE,
        "active_share": ACTIVE_SHARE,
        "id_prefix": id_prefix,
        "id_digits": id_digits,
    }


def history_days(scale: SampleSize, start: datetime) -> list[list[Segment]]:
    """The history as day files: each day's 24 hour segments, after the previous day's last
    hours (whose rows appear again only when re-delivered).

    Events spread over hours by weight (hour of day, weekday, growth), rounded by largest
    remainder so that they sum to `scale.events` exactly.
    """
    hours = scale.days * 24
    weights = []
    for hour in range(hours):
        instant = start + timedelta(hours=hour)
        weights.append(
            HOUR_OF_DAY[instant.hour]
            * WEEKDAY[instant.weekday()]
            * (1 + GROWTH * hour / max(1, hours - 1))
        )
    counts = _apportion(scale.events, weights)
    segments, first = [], 0
    for hour, events in enumerate(counts):
        hour_us = epoch_us(start) + hour * HOUR_US
        segments.append(Segment(hour_us, first, events, own=True))
        first += events
    days = []
    for day in range(scale.days):
        own = segments[day * 24 : day * 24 + 24]
        previous = segments[max(0, day * 24 - REDELIVERED_HOURS) : day * 24]
        days.append([Segment(s.hour_us, s.first, s.events, own=False) for s in previous] + own)
    return days


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    weight_sum = sum(weights)
    quotas = [total * weight / weight_sum for weight in weights]
    counts = [math.floor(quota) for quota in quotas]
    by_remainder = sorted(
        range(len(quotas)), key=lambda index: (counts[index] - quotas[index], index)
    )
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts
