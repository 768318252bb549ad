"""The journey language's vocabulary, and a journey as a value.

A `Journey` is what one journey file says, checked and with every default filled in. Its
parts — the entry kind, the filter nodes, the steps — are classes of their own modules
(`entries`, `filters`, `steps`), each of which knows how it is read, its canonical
definition and its SQL; this module holds what they share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orgjourney_pipeline.journeys.canonical import canonical

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.entries import EntryKind
    from orgjourney_pipeline.journeys.filters import FilterNode
    from orgjourney_pipeline.journeys.steps import Step

STATES = ("draft", "published", "paused", "archived")
FREQUENCIES = ("once", "once_at_a_time", "every_time")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ID_PATTERN = re.compile(r"[a-z0-9_-]+")
CLOCK_PATTERN = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

# Bounds of every number a journey file gives, by key: (smallest, largest). Whole numbers fit
# a 32-bit INTEGER column (journeys.version); spans of time are at most 100 years in any unit,
# so a delay, a timeout or a `within` span added to any run's time stays a valid date and
# timestamp in Python and in DuckDB.
MAX_INTEGER = 2**31 - 1
MAX_DAYS = 36_500
NUMBER_BOUNDS: dict[str, tuple[int, int]] = {
    "version": (1, MAX_INTEGER),
    "min_count": (1, MAX_INTEGER),
    "percent": (0, 100),
    "min": (1, MAX_INTEGER),  # a `members` roll-up's least count
    "min_percent": (0, 100),
    "priority": (-1_000_000, 1_000_000),
    "max": (0, 1_000_000),
    "day": (1, 31),
    "days_before": (0, MAX_DAYS),
    "within_days": (0, MAX_DAYS),
    "days": (0, MAX_DAYS),
    "hours": (0, MAX_DAYS * 24),
    "minutes": (0, MAX_DAYS * 24 * 60),
}
# YAML anchors and aliases may reuse a value, but all the aliases of a file together may
# repeat at most this many values (scalars, lists and mappings, counted expanded): a
# "billion laughs" file is refused before anything expands it.
MAX_ALIAS_VALUES = 10_000

BUILTIN_ORG_FIELDS: dict[str, str] = {
    "org_id": "text",
    "name": "text",
    "tags": "list",
    "timezone": "text",
    "created_at": "timestamp",
}
BUILTIN_CONTACT_FIELDS: dict[str, str] = {
    "contact_id": "text",
    "email": "text",
    "phone": "text",
    "first_name": "text",
    "last_name": "text",
    "tags": "list",
    "sms_opt_in": "bool",
}
BUILTIN_FIELDS = {"org": BUILTIN_ORG_FIELDS, "contact": BUILTIN_CONTACT_FIELDS}


@dataclass(frozen=True)
class Exit:
    """`exit:` — an exit filter checked at every run, and exiting on conversion."""

    filter: FilterNode | None = None
    on_conversion: bool = False

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"on_conversion": self.on_conversion}
        if self.filter is not None:
            definition["filter"] = self.filter.definition()
        return definition


@dataclass(frozen=True)
class Attribution:
    """`attribution:` — the activity that converts an enrollment, within a span of days."""

    activity: str
    within_days: float = 30
    where: Mapping[str, Any] | None = None

    def definition(self) -> dict[str, Any]:
        definition = {"activity": self.activity, "within_days": canonical(self.within_days)}
        if self.where:
            definition["where"] = canonical(self.where)
        return definition


@dataclass(frozen=True)
class Duration:
    """A span of minutes, hours and days (a delay, a wait_for timeout)."""

    minutes: float | None = None
    hours: float | None = None
    days: float | None = None

    def definition(self) -> dict[str, Any]:
        values = {"minutes": self.minutes, "hours": self.hours, "days": self.days}
        return {key: canonical(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class SendWindow:
    """`send_window:` — quiet hours: the local hours (and weekdays) in which send steps send.

    `start` is inclusive, `end` exclusive; a `start` later than `end` spans midnight (the
    hours after midnight belong to the weekday the window opened on). `weekdays` empty: every
    day. `by_organization`: local time is the organization's `timezone` (else the journey's).
    """

    start: str
    end: str
    weekdays: tuple[str, ...] = ()
    by_organization: bool = False

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"from": self.start, "to": self.end}
        if self.weekdays:
            definition["weekdays"] = list(self.weekdays)
        if self.by_organization:
            definition["timezone"] = "organization"
        return definition


@dataclass(frozen=True)
class Journey:
    """One journey file, checked, with every default filled in."""

    id: str
    name: str
    version: int
    state: str
    timezone: str
    entry: EntryKind
    frequency: str
    exit: Exit | None
    send_to: FilterNode | None  # None: everyone
    unsubscribe: str | None  # an audience, or None for global
    attribution: Attribution | None
    steps: tuple[Step, ...]
    # Delivery rules (SPEC section 3, Delivery rules and holdouts); in the definition only
    # when set, so the definitions of journeys that set none are as before.
    send_window: SendWindow | None = None
    priority: int = 0
    cap_exempt: bool = False  # `frequency_cap: exempt`
    holdout_percent: float | None = None  # `holdout: {percent: P}`
    source: str = field(default="", compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def definition(self) -> dict[str, Any]:
        """The canonical definition: everything but `state`, as plain data with every default.

        Built from the parsed journey, not the file's text, so key order, comments, quoting
        and explicitly written defaults do not change it; `journey_from_definition` reads it
        back to an equal journey.
        """
        definition: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "timezone": self.timezone,
            "entry": self.entry.definition(),
            "frequency": self.frequency,
            "send_to": send_to_definition(self.send_to),
            "unsubscribe": "global" if self.unsubscribe is None else {"audience": self.unsubscribe},
            "steps": [step.definition() for step in self.steps],
        }
        if self.exit is not None:
            definition["exit"] = self.exit.definition()
        if self.attribution is not None:
            definition["attribution"] = self.attribution.definition()
        if self.send_window is not None:
            definition["send_window"] = self.send_window.definition()
        if self.priority:
            definition["priority"] = self.priority
        if self.cap_exempt:
            definition["frequency_cap"] = "exempt"
        if self.holdout_percent is not None:
            definition["holdout"] = {"percent": canonical(self.holdout_percent)}
        description = self.raw.get("description")
        if description is not None:
            definition["description"] = description
        return definition

    def definition_hash(self) -> str:
        """sha256 of the canonical definition (sorted keys, compact JSON)."""
        text = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return next(step for step in self.steps if step.id == step_id)


def send_to_definition(send_to: FilterNode | None) -> Any:
    """A `send_to` as a file writes it: `everyone`, `triggering_contacts` or `{filter: ..}`."""
    if send_to is None:
        return "everyone"
    definition = send_to.definition()
    return definition if isinstance(definition, str) else {"filter": definition}


def known_field(name: str, known: Mapping[str, object]) -> str | None:
    """The name under which `known` has a field, ignoring case (None if it has none).

    Field names are case-insensitive everywhere (the contract's text comparisons ignore case,
    and so do DuckDB's identifiers): `Plan` names the field `plan` the CRM loaded.
    """
    if name in known:
        return name
    folded = name.casefold()
    return next((candidate for candidate in known if candidate.casefold() == folded), None)


def field_name(name: str, known: Mapping[str, object]) -> str:
    """The one name of a field: the known one it matches ignoring case, else in lower case
    (a field that only steps set)."""
    return known_field(name, known) or name.lower()
