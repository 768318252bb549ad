"""The benchmark's journeys: ten shapes, cycled, that together cover the journey language.

`journey_definition(index)` is the `index`-th journey: shape `index % 10` (one function per
shape, `SHAPES`), in round `index // 10` (later rounds vary thresholds, hours and days).
`write_journeys` writes a number of them as YAML files, with the rules across them
(`DELIVERY`, the folder's `delivery.yaml`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from orgjourney_pipeline.journeys import schedule

_WEEKDAYS = schedule.WEEKDAYS
_PLANS = ("starter", "pro", "enterprise")
#: The benchmark folder's `delivery.yaml`: caps per contact that the busiest journeys reach
#: (the activity journeys send on every matching event) and a small global holdout.
DELIVERY: dict[str, Any] = {
    "caps": [
        {"channel": "email", "max": 3, "per": "day"},
        {"channel": "email", "max": 10, "per": "week"},
        {"channel": "sms", "max": 1, "per": "day"},
    ],
    "timezone": "Europe/Berlin",
    "global_holdout": {"percent": 2},
}
_ROLE_SETS = (
    ["owner", "admin"],
    ["marketing", "executive"],
    ["billing", "owner"],
    ["engineer", "admin", "support"],
)


def write_journeys(folder: Path, count: int, end: datetime | None = None) -> list[Path]:
    """Write `count` published benchmark journeys as YAML files into `folder` (emptied first).

    They cycle through ten shapes that together cover every entry kind (filter, activity,
    tags, approaching_date, anniversary, recurring by day, week and month), every frequency,
    exits by filter and by conversion, attribution, audiences, per-step recipients, `members`
    roll-ups, steps of every kind (sends, delays in durations and local times, wait_for,
    conditions, splits, tag and field updates, exit) and the delivery rules (quiet hours in
    the organization's time zone, priorities, an exempt journey, holdouts, and the caps of
    `DELIVERY`). Later rounds vary the parameters (thresholds, hours, days).
    """
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.width = 100
    yaml.sort_base_mapping_type_on_output = False  # keep the written order
    with (folder / "delivery.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(DELIVERY, handle)
    paths = []
    for index in range(count):
        definition = journey_definition(index)
        path = folder / f"{definition['id']}.yaml"
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(definition, handle)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class Seed:
    """What a shape varies with: the journey's index and round, an hour, its recipients."""

    index: int

    @property
    def round(self) -> int:
        return self.index // 10

    @property
    def hour(self) -> str:
        return f"{(3 + 5 * self.index) % 24:02d}:00"

    @property
    def to_roles(self) -> dict[str, Any]:
        """B2B journeys address a few roles, not every member of a large account."""
        roles = _ROLE_SETS[self.index % len(_ROLE_SETS)]
        return {"filter": {"field": "role", "op": "in", "value": roles}}


def journey_definition(index: int) -> dict[str, Any]:
    """The `index`-th benchmark journey (see `write_journeys`)."""
    base = {"id": f"bench-{index:03d}", "name": f"Benchmark journey {index}", "version": 1}
    base["state"] = "published"
    return base | SHAPES[index % len(SHAPES)](Seed(index))


def _opened_since_entry(goto: str, otherwise: str) -> list[dict[str, Any]]:
    """A condition's branches: to `goto` on an email opened since entry, else `otherwise`."""
    return [
        {"if": {"activity": "email_opened", "since": "entry"}, "goto": goto},
        {"else": otherwise},
    ]


def _filter_entry(seed: Seed) -> dict[str, Any]:
    """Filter entry (edge), once_at_a_time, exit filter, condition on activity."""
    i = seed.index
    return {
        "entry": {
            "when": "filter",
            "filter": {
                "all": [
                    {"field": "status", "op": "eq", "value": "trial"},
                    {"field": "plan", "op": "ne", "value": _PLANS[seed.round % 3]},
                ]
            },
        },
        "frequency": "once_at_a_time",
        "exit": {"filter": {"field": "status", "op": "eq", "value": "churned"}},
        "holdout": {"percent": 10},
        "send_to": seed.to_roles,
        "steps": [
            {"id": "welcome", "send_email": {"template": f"welcome-{i}"}},
            {"id": "wait", "delay": {"days": 2 + seed.round}},
            {"id": "check", "condition": _opened_since_entry("engaged", "nudge")},
            {"id": "nudge", "send_sms": {"template": f"nudge-{i}"}, "next": "end"},
            {"id": "engaged", "tag_org": {"add": ["engaged"]}},
        ],
    }


def _activity_entry(seed: Seed) -> dict[str, Any]:
    """Activity entry, every_time, wait_for, attribution, audience, quiet hours in the
    organization's time zone, a priority over the other journeys' sends."""
    i = seed.index
    if seed.round % 2:
        entry: dict[str, Any] = {
            "when": "activity",
            "activity": "form_submitted",
            "where": {"form": "contact-us"},
        }
    else:
        entry = {"when": "activity", "activity": "demo_requested"}
    return {
        "entry": entry,
        "frequency": "every_time" if seed.round % 2 else "once_at_a_time",
        "send_to": {
            "filter": {
                "all": [{"field": "email", "op": "is_set"}, seed.to_roles["filter"]],
            }
        },
        "unsubscribe": {"audience": "product"},
        "attribution": {"activity": "purchase", "within_days": 14},
        "send_window": {"from": "08:00", "to": "20:00", "timezone": "organization"},
        "priority": 10,
        "steps": [
            {"id": "thanks", "send_email": {"template": f"thanks-{i}"}},
            {
                "id": "wait-click",
                "wait_for": {"activity": "email_clicked", "timeout": {"hours": 24}},
                "then": "tag",
                "else": "nudge",
            },
            {"id": "nudge", "send_email": {"template": f"nudge-{i}"}, "next": "end"},
            {"id": "tag", "tag_org": {"add": ["engaged"], "remove": ["churn-risk"]}},
        ],
    }


def _tags_entry(seed: Seed) -> dict[str, Any]:
    """Tags entry (edge), once, split."""
    i = seed.index
    tags = [["vip", "partner"], ["enterprise"], ["churn-risk", "trial"]][seed.round % 3]
    return {
        "entry": {"when": "tags", "tags": tags, "match": "any"},
        "frequency": "once",
        "send_to": seed.to_roles,
        "steps": [
            {
                "id": "pick",
                "split": [
                    {"percent": 50, "goto": "letter"},
                    {"percent": 50, "goto": "text"},
                ],
            },
            {"id": "letter", "send_email": {"template": f"letter-{i}"}, "next": "end"},
            {"id": "text", "send_sms": {"template": f"text-{i}"}},
        ],
    }


def _approaching_date_entry(seed: Seed) -> dict[str, Any]:
    """Approaching_date, exit on filter and conversion, update_org."""
    i = seed.index
    return {
        "entry": {
            "when": "approaching_date",
            "field": "renewal_date",
            "days_before": 30 - 5 * (seed.round % 4),
            "filter": {"field": "plan", "op": "ne", "value": "free"},
        },
        "frequency": "once_at_a_time",
        "exit": {
            "filter": {"field": "status", "op": "eq", "value": "renewed"},
            "on_conversion": True,
        },
        "attribution": {"activity": "renewal_paid", "within_days": 30},
        "send_to": seed.to_roles,
        "steps": [
            {"id": "notice", "send_email": {"template": f"renewal-{i}"}},
            {"id": "wait", "delay": {"days": 7}},
            {"id": "check", "condition": _opened_since_entry("warm", "sms")},
            {"id": "sms", "send_sms": {"template": f"renewal-sms-{i}"}, "next": "end"},
            {"id": "warm", "update_org": {"field": "engagement", "value": "warm"}},
        ],
    }


def _anniversary_entry(seed: Seed) -> dict[str, Any]:
    """Anniversary in a local time zone, every_time."""
    return {
        "timezone": ["America/New_York", "Europe/Berlin", "Asia/Tokyo"][seed.round % 3],
        "entry": {"when": "anniversary", "field": "signup_date", "at": seed.hour},
        "frequency": "every_time",
        "send_to": seed.to_roles,
        "steps": [{"id": "congrats", "send_email": {"template": f"anniversary-{seed.index}"}}],
    }


def _weekly_entry(seed: Seed) -> dict[str, Any]:
    """Recurring weekly with a filter, audience unsubscribe."""
    return {
        "entry": {
            "when": "recurring",
            "every": "week",
            "on": [_WEEKDAYS[(6 + seed.round) % 7]],
            "at": seed.hour,
            "filter": {
                "all": [
                    {"field": "tier", "op": "in", "value": ["gold", "platinum"]},
                    {"field": "status", "op": "eq", "value": "active"},
                ]
            },
        },
        "frequency": "every_time",
        "send_to": {"filter": {"tag": "newsletter"}},
        "unsubscribe": {"audience": "newsletter"},
        "steps": [{"id": "digest", "send_email": {"template": f"digest-{seed.index}"}}],
    }


def _recent_activity_entry(seed: Seed) -> dict[str, Any]:
    """Filter on recent organization activity (even rounds: on how many members were active,
    a `members` roll-up that those journeys share), per-step recipients, exit step."""
    recent: dict[str, Any] = {
        "activity": "page_viewed",
        "min_count": 10 + 5 * seed.round,
        "within_days": 7,
    }
    if seed.round % 2 == 0:
        viewed = {"activity": "page_viewed", "within_days": 7}
        recent = {"members": {"filter": viewed, "min": 2 + seed.round}}
    return {
        "entry": {
            "when": "filter",
            "filter": {"all": [recent, {"field": "plan", "op": "ne", "value": "free"}]},
        },
        "frequency": "once_at_a_time",
        "steps": [
            {
                "id": "tips",
                "send_email": {"template": f"tips-{seed.index}"},
                "send_to": {"filter": {"field": "lead_score", "op": "gte", "value": 40}},
            },
            {"id": "wait", "delay": {"days": 14}},
            {"id": "done", "exit": {}},
        ],
    }


def _daily_entry(seed: Seed) -> dict[str, Any]:
    """Recurring daily on a tag, delay until a local time."""
    i = seed.index
    return {
        "timezone": "Europe/Berlin",
        "entry": {
            "when": "recurring",
            "every": "day",
            "at": seed.hour,
            "filter": {"tag": "churn-risk"},
        },
        "frequency": "every_time",
        "send_to": seed.to_roles,
        "steps": [
            {"id": "check-in", "send_email": {"template": f"check-in-{i}"}},
            {"id": "wait", "delay": {"until": "10:00", "weekdays": ["tuesday", "thursday"]}},
            {"id": "call", "send_sms": {"template": f"call-{i}"}},
        ],
    }


def _monthly_entry(seed: Seed) -> dict[str, Any]:
    """Recurring monthly, once."""
    return {
        "entry": {
            "when": "recurring",
            "every": "month",
            "day": 1 + seed.round,
            "at": seed.hour,
            "filter": {"field": "seats", "op": "gte", "value": 100},
        },
        "frequency": "once",
        "send_to": seed.to_roles,
        "steps": [{"id": "report", "send_email": {"template": f"report-{seed.index}"}}],
    }


def _renewal_entry(seed: Seed) -> dict[str, Any]:
    """Activity entry (renewals, one webinar), once_at_a_time, a field update, a delay; exempt
    from the frequency caps (a transactional thank-you)."""
    i = seed.index
    entry: dict[str, Any] = {"when": "activity", "activity": "renewal_paid"}
    if seed.round % 2:
        entry = {
            "when": "activity",
            "activity": "webinar_attended",
            "where": {"webinar": "q4-roadmap"},
        }
    return {
        "entry": entry,
        "frequency": "once_at_a_time",
        "frequency_cap": "exempt",
        "send_to": seed.to_roles,
        "steps": [
            {"id": "mark", "update_org": {"field": "last_touch", "value": f"journey-{i}"}},
            {"id": "wait", "delay": {"hours": 6}},
            {"id": "thanks", "send_email": {"template": f"thanks-{i}"}},
            {"id": "done", "exit": {}},
        ],
    }


#: The ten shapes, by `index % 10`: each the journey's keys after id, name, version, state.
SHAPES: tuple[Callable[[Seed], dict[str, Any]], ...] = (
    _filter_entry,
    _activity_entry,
    _tags_entry,
    _approaching_date_entry,
    _anniversary_entry,
    _weekly_entry,
    _recent_activity_entry,
    _daily_entry,
    _monthly_entry,
    _renewal_entry,
)
