"""Delivery rules and holdouts (SPEC section 3): a journey's own, and `delivery.yaml`'s.

A journey may set quiet hours (`send_window`), its `priority` among the sends that compete for
a frequency cap, `frequency_cap: exempt`, and a `holdout`. The journeys folder's
`delivery.yaml` (not a journey) sets the caps per contact and channel per calendar day or
week, their time zone, and the global holdout. Both are read here with `file:line` problems,
and reach one window's SQL as data: the `journey_steps` columns of a send step
(`held_outcome`, `priority`, `cap_exempt`), `send_window_zones` (whether each version's
window is open now, and when it opens next, per time zone), `delivery_caps` (each cap with
the start of its period) and the holdouts' thresholds.

`delivery_file` reads `delivery.yaml` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.model import Journey, SendWindow
from orgjourney_pipeline.journeys.problems import describe, near
from orgjourney_pipeline.journeys.reader import NodeReader
from orgjourney_pipeline.journeys.sqlexpr import WindowValue, timestamp
from orgjourney_pipeline.journeys.templates import relation

DELIVERY_FILES = ("delivery.yaml", "delivery.yml")
JOURNEY_DELIVERY_KEYS = ("send_window", "priority", "frequency_cap", "holdout")
DELIVERY_KEYS = ("caps", "timezone", "global_holdout")
CHANNELS = ("email", "sms")
PERIODS = ("day", "week")
HELD = "held"  # `enrollment_steps.outcome` of a send step held by its journey's send window
# Holdout buckets: the first 32 bits of an md5, modulo 10,000, against the percent in
# hundredths (so a percent may have two decimals).
BUCKETS = 10_000


@dataclass(frozen=True)
class Cap:
    """One cap: at most `max` sends per contact on `channel` per calendar `per`."""

    channel: str
    max: int
    per: str


@dataclass(frozen=True)
class DeliveryRules:
    """What `delivery.yaml` says (no file: no caps, no global holdout)."""

    caps: tuple[Cap, ...] = ()
    timezone: str = "UTC"
    global_holdout_percent: float | None = None
    source: str = ""


# -- a journey's own rules --------------------------------------------------------------------


def read_journey_delivery(reader: NodeReader, doc: Mapping) -> dict[str, Any]:
    """The delivery keys of a journey file, as `Journey` fields (problems reported)."""
    priority = reader.number(doc, "priority", "journey", integer=True)
    exempt = doc.get("frequency_cap")
    if exempt is not None and exempt != "exempt":
        reader.error(
            reader.line_of(doc, "frequency_cap"),
            f"frequency_cap: expected `exempt`, got {describe(exempt)}"
            + near(str(exempt), ("exempt",)),
        )
    holdout = None
    if doc.get("holdout") is not None:
        holdout = read_percent(reader, doc, "holdout")
    return {
        "send_window": read_send_window(reader, doc),
        "priority": int(priority or 0),
        "cap_exempt": exempt == "exempt",
        "holdout_percent": holdout,
    }


def read_send_window(reader: NodeReader, doc: Mapping) -> SendWindow | None:
    if doc.get("send_window") is None:
        return None
    where = "send_window"
    node = reader.mapping(doc["send_window"], where, reader.line_of(doc, where))
    if node is None:
        return None
    reader.known_keys(node, ("from", "to", "weekdays", "timezone"), where)
    start, end = reader.clock(node, "from", where), reader.clock(node, "to", where)
    for key in ("from", "to"):
        if key not in node:
            reader.error(reader.line_of(node), f"{where}: '{key}' is required (HH:MM)")
    weekdays = reader.weekdays(node, "weekdays", where)
    zone = node.get("timezone", "journey")
    if zone not in ("organization", "journey"):
        reader.error(
            reader.line_of(node, "timezone"),
            f"{where}.timezone: expected `organization` or `journey`, got {describe(zone)}"
            + near(str(zone), ("organization", "journey")),
        )
    if start is None or end is None:
        return None
    if start == end:
        reader.error(reader.line_of(node, "to"), f"{where}: 'from' and 'to' must differ")
        return None
    return SendWindow(start, end, weekdays, by_organization=zone == "organization")


def read_percent(reader: NodeReader, doc: Mapping, key: str) -> float | None:
    """`{percent: P}` at `key`, 0..100 with at most two decimals."""
    node = reader.mapping(doc[key], key, reader.line_of(doc, key))
    if node is None:
        return None
    reader.known_keys(node, ("percent",), key)
    if "percent" not in node:
        reader.error(reader.line_of(node), f"{key}: 'percent' is required")
        return None
    percent = reader.number(node, "percent", key)
    if percent is not None and round(percent * 100) != percent * 100:
        reader.error(reader.line_of(node, "percent"), f"{key}.percent: at most two decimals")
        return None
    return percent


def holdout_threshold(percent: float | None) -> int:
    """The bucket below which an organization is held out (0: nobody)."""
    return 0 if percent is None else round(percent * 100)


def holdout_bucket(*parts: str) -> int:
    """The holdout bucket of a journey and organization (or of an organization alone), as the
    SQL computes it: the first 32 bits of md5 of the parts joined by '|', modulo 10,000.

    Example:
        >>> holdout_bucket("welcome", "o1") == holdout_bucket("welcome", "o1") < BUCKETS
        True
    """
    digest = hashlib.md5("|".join(parts).encode()).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def step_delivery_columns(journey: Journey, step: Any) -> dict[str, Any]:
    """A step's delivery columns in `journey_steps`: the outcome of a held send step (its
    journey has a send window), and the journey's priority and cap exemption."""
    is_send = getattr(step, "CHANNEL", None) is not None
    return {
        "held_outcome": HELD if is_send and journey.send_window is not None else None,
        "priority": journey.priority,
        "cap_exempt": journey.cap_exempt,
    }


SEND_WINDOW_ZONE_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("zone", pa.string()),
        ("is_journey_zone", pa.bool_()),
        ("is_open", pa.bool_()),
        ("opens_at", pa.timestamp("us")),
    ]
)


def send_window_zones(
    journeys: Iterable[Journey], window_end: datetime, org_zones: Iterable[str]
) -> pa.Table:
    """`send_window_zones`: per journey version with a send window and time zone (the
    journey's, and with `timezone: organization` every valid zone organizations have),
    whether the window is open at the window end and when it next opens after it."""
    rows = []
    org_zones = sorted(set(org_zones))
    for journey in journeys:
        window = journey.send_window
        if window is None:
            continue
        start, end = schedule.parse_clock(window.start), schedule.parse_clock(window.end)
        zones = [journey.timezone]
        if window.by_organization:
            zones += [zone for zone in org_zones if zone != journey.timezone]
        for zone in zones:
            rows.append(
                {
                    "journey_id": journey.id,
                    "journey_version": journey.version,
                    "zone": zone,
                    "is_journey_zone": zone == journey.timezone,
                    "is_open": schedule.send_window_open(
                        window_end, zone, start, end, window.weekdays
                    ),
                    "opens_at": schedule.send_window_opens_after(
                        window_end, zone, start, end, window.weekdays
                    ),
                }
            )
    return pa.Table.from_pylist(rows, schema=SEND_WINDOW_ZONE_SCHEMA)


# -- delivery.yaml's rules as data -------------------------------------------------------

DELIVERY_CAP_SCHEMA = pa.schema(
    [
        ("cap_no", pa.int32()),
        ("channel", pa.string()),
        ("max_sends", pa.int64()),
        ("period_start", pa.timestamp("us")),
    ]
)
DELIVERY_SETTINGS_SCHEMA = pa.schema([("global_holdout_threshold", pa.int32())])


def delivery_caps(rules: DeliveryRules, window_end: datetime) -> pa.Table:
    """`delivery_caps`: each cap with the instant its period (the calendar day or week, Monday
    first, in the rules' time zone, of the window end) started."""
    local_day = schedule.local_today(window_end, rules.timezone)
    starts = {
        "day": local_day,
        "week": local_day - timedelta(days=local_day.weekday()),
    }
    rows = [
        {
            "cap_no": number,
            "channel": cap.channel,
            "max_sends": cap.max,
            "period_start": schedule.local_to_utc(
                datetime.combine(starts[cap.per], datetime.min.time()), rules.timezone
            ),
        }
        for number, cap in enumerate(rules.caps, 1)
    ]
    return pa.Table.from_pylist(rows, schema=DELIVERY_CAP_SCHEMA)


def delivery_settings(rules: DeliveryRules) -> pa.Table:
    """`delivery_settings`: one row, the global holdout's threshold (0: nobody)."""
    threshold = holdout_threshold(rules.global_holdout_percent)
    return pa.Table.from_pylist(
        [{"global_holdout_threshold": threshold}], schema=DELIVERY_SETTINGS_SCHEMA
    )


def send_hold_relations(
    journey: Journey, window_end: datetime | WindowValue
) -> dict[str, list[exp.Query]]:
    """The journey version's part of `send_holds`: its send steps' enrollments that its send
    window holds now (`sql/compiled/send_hold.sql`)."""
    if journey.send_window is None:
        return {}
    holds = [
        relation(
            "send_hold",
            journey_id=journey.id,
            journey_version=journey.version,
            step_id=step.id,
            window_end=timestamp(window_end),
        )
        for step in journey.steps
        if step.CHANNEL is not None
    ]
    return {"send_holds": holds}


def needs_org_zones(journeys: Iterable[Journey]) -> bool:
    """Whether a send window of these journeys is in the organizations' time zones."""
    return any(j.send_window is not None and j.send_window.by_organization for j in journeys)


def delivery_tables(
    journeys: Iterable[Journey],
    rules: DeliveryRules,
    window_end: datetime,
    org_zones: Iterable[str] = (),
) -> dict[str, pa.Table]:
    """The window's delivery tables: `send_window_zones`, `delivery_caps`,
    `delivery_settings`; `org_zones`: the organizations' valid time zones."""
    return {
        "send_window_zones": send_window_zones(journeys, window_end, org_zones),
        "delivery_caps": delivery_caps(rules, window_end),
        "delivery_settings": delivery_settings(rules),
    }
