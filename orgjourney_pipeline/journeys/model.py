"""Journey files -> checked, immutable journey objects; problems as `file:line: message`.

A journey file is YAML 1.2 (`on`, `yes` and `no` are plain words). Reading never raises on a
bad file: every problem becomes a `Problem` naming the file, the line and the field, and a
file with an error yields no journey. Field names are checked separately (`check_fields`)
because the known custom fields come from the warehouse.

Example:
    >>> journey = journey_from_definition({
    ...     "id": "welcome", "name": "Welcome", "version": 1,
    ...     "entry": {"when": "tags", "tags": ["trial"]},
    ...     "steps": [{"id": "hello", "send_email": {"template": "welcome-1"}}]})
    >>> journey.entry.tags, step_action(journey.steps[0]), journey.frequency
    (('trial',), 'send_email', 'once')
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

STATES = ("draft", "published", "paused", "archived")
FREQUENCIES = ("once", "once_at_a_time", "every_time")
ENTRY_KINDS = ("filter", "activity", "tags", "approaching_date", "anniversary", "recurring")
OPS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_set",
    "is_not_set",
    "within_last_days",
    "within_next_days",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACTIONS = (
    "send_email",
    "send_sms",
    "delay",
    "wait_for",
    "condition",
    "split",
    "tag_org",
    "update_org",
    "exit",
)
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


# -- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journey file, at a line."""

    file: str
    line: int
    message: str
    severity: str = "error"  # error | warning
    journey_id: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


# -- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldCondition:
    field: str
    op: str
    value: Any = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class TagCondition:
    tag: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ActivityCondition:
    activity: str
    min_count: int = 1
    within_days: float | None = None
    since: str | None = None  # "entry"
    where: Mapping[str, Any] | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class AllOf:
    items: tuple[Filter, ...]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Filter, ...]
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    item: Filter
    line: int = field(default=0, compare=False)


Filter = FieldCondition | TagCondition | ActivityCondition | AllOf | AnyOf | Not


def filter_leaves(node: Filter | None):
    """Every leaf condition of a filter, depth first."""
    if node is None:
        return
    if isinstance(node, AllOf | AnyOf):
        for item in node.items:
            yield from filter_leaves(item)
    elif isinstance(node, Not):
        yield from filter_leaves(node.item)
    else:
        yield node


# -- journey parts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    when: str
    filter: Filter | None = None
    activity: str | None = None
    where: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    match: str = "any"
    field: str | None = None
    days_before: int | None = None
    at: str = "00:00"
    every: str | None = None
    on: tuple[str, ...] = ()
    day: int | None = None


@dataclass(frozen=True)
class Exit:
    filter: Filter | None = None
    on_conversion: bool = False


@dataclass(frozen=True)
class Attribution:
    activity: str
    within_days: float = 30
    where: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Duration:
    minutes: float | None = None
    hours: float | None = None
    days: float | None = None


@dataclass(frozen=True)
class SendEmail:
    id: str
    template: str
    send_to: Filter | None = None  # None: the journey's send_to
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SendSms:
    id: str
    template: str
    send_to: Filter | None = None
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Delay:
    id: str
    minutes: float | None = None
    hours: float | None = None
    days: float | None = None
    until: str | None = None
    weekdays: tuple[str, ...] = ()
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class WaitFor:
    id: str
    activity: str
    timeout: Duration
    where: Mapping[str, Any] | None = None
    then: str | None = None
    else_: str | None = None
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Condition:
    id: str
    branches: tuple[tuple[Filter, str], ...]
    else_: str | None = None
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Split:
    id: str
    branches: tuple[tuple[float, str], ...]
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class TagOrg:
    id: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class UpdateOrg:
    id: str
    field: str
    value: Any
    next: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ExitStep:
    id: str
    next: str | None = None
    line: int = field(default=0, compare=False)


Step = SendEmail | SendSms | Delay | WaitFor | Condition | Split | TagOrg | UpdateOrg | ExitStep

_ACTION_OF = {
    SendEmail: "send_email",
    SendSms: "send_sms",
    Delay: "delay",
    WaitFor: "wait_for",
    Condition: "condition",
    Split: "split",
    TagOrg: "tag_org",
    UpdateOrg: "update_org",
    ExitStep: "exit",
}


def step_action(step: Step) -> str:
    """The action keyword of a step (`send_email`, `delay`, ...)."""
    return _ACTION_OF[type(step)]


@dataclass(frozen=True)
class Journey:
    id: str
    name: str
    version: int
    state: str
    timezone: str
    entry: Entry
    frequency: str
    exit: Exit | None
    send_to: Filter | None  # None: everyone
    unsubscribe: str | None  # an audience, or None for global
    attribution: Attribution | None
    steps: tuple[Step, ...]
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
            "entry": _entry_definition(self.entry),
            "frequency": self.frequency,
            "send_to": _send_to_definition(self.send_to),
            "unsubscribe": "global" if self.unsubscribe is None else {"audience": self.unsubscribe},
            "steps": [_step_definition(step) for step in self.steps],
        }
        if self.exit is not None:
            definition["exit"] = _exit_definition(self.exit)
        if self.attribution is not None:
            definition["attribution"] = _attribution_definition(self.attribution)
        description = self.raw.get("description")
        if description is not None:
            definition["description"] = description
        return definition

    def definition_hash(self) -> str:
        """sha256 of the canonical definition (sorted keys, compact JSON)."""
        canonical = json.dumps(self.definition(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


# -- reading files ----------------------------------------------------------------------------


def load_journeys(folder: Path) -> tuple[list[Journey], list[Problem]]:
    """Every `*.yaml` / `*.yml` journey in a folder (hidden files aside), in name order.

    A file with an error yields no journey; a second file with an id already seen is an error.
    """
    journeys: list[Journey] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    files = sorted(
        path
        for path in Path(folder).iterdir()
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".")  # editor files
    )
    for path in files:
        journey, file_problems = load_journey(path)
        problems.extend(file_problems)
        if journey is None:
            continue
        if journey.id in seen:
            problems.append(
                Problem(
                    str(path),
                    journey.lines.get("id", 1),
                    f"id: journey '{journey.id}' is already defined in {seen[journey.id]}",
                    journey_id=journey.id,
                )
            )
            continue
        seen[journey.id] = str(path)
        journeys.append(journey)
    return journeys, problems


def load_journey(path: Path) -> tuple[Journey | None, list[Problem]]:
    """Read one journey file; returns (journey or None, problems)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(str(path), 1, f"cannot read the file: {error}")]
    return parse_journey_text(text, str(path))


def parse_journey_text(text: str, source: str) -> tuple[Journey | None, list[Problem]]:
    """Parse YAML text of one journey; returns (journey or None, problems)."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    try:
        document = yaml.load(io.StringIO(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, [Problem(source, line, f"not valid YAML: {error.problem or error}")]
    except Exception as error:  # ruamel raises several unmarked errors on odd input
        return None, [Problem(source, 1, f"not valid YAML: {error}")]
    return _Reader(source, alias_problem=_alias_problem(yaml, text)).journey(document)


def _alias_problem(yaml: YAML, text: str) -> tuple[int, str] | None:
    """The first alias that repeats too much or contains itself, as (line, message); or None.

    The document that ruamel loads shares an anchored value among its aliases, but reading it
    expands them. So the parser's events are counted instead, expanding nothing: each anchor's
    size (as if its own aliases were expanded) is known when it closes, and each alias adds
    its anchor's size to what the file repeats.
    """
    if "*" not in text:
        return None  # no alias (every alias starts with '*'): nothing to count
    sizes: dict[str, int | None] = {}  # anchor -> expanded size; None while it is open
    open_nodes: list[list[Any]] = []  # [anchor, size so far] of each list or mapping being read
    repeated = 0
    for event in yaml.parse(io.StringIO(text)):
        if isinstance(event, AliasEvent):
            line, anchor = event.start_mark.line + 1, event.anchor
            if anchor in sizes and sizes[anchor] is None:
                return line, f"alias '*{anchor}': refers to a value that contains it"
            size = sizes.get(anchor) or 1
            repeated += size
            if repeated > MAX_ALIAS_VALUES:
                return line, (
                    f"alias '*{anchor}': the aliases up to here repeat {repeated} values, "
                    f"more than the {MAX_ALIAS_VALUES} a journey file may repeat"
                )
        elif isinstance(event, ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = size
        elif isinstance(event, CollectionStartEvent):
            if event.anchor is not None:
                sizes[event.anchor] = None
            open_nodes.append([event.anchor, 1])
            continue
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor is not None and sizes.get(anchor) is None:
                sizes[anchor] = size
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size
    return None


def journey_from_definition(definition: Mapping[str, Any], source: str = "") -> Journey:
    """A journey from a stored definition (plain dicts); raises ValueError if it is invalid."""
    document = dict(definition)
    document.setdefault("state", "published")
    journey, problems = _Reader(source or "<definition>").journey(document)
    if journey is None:
        raise ValueError("; ".join(str(p) for p in problems))
    return journey


class _Reader:
    """Turns a parsed YAML document into a Journey, collecting problems with line numbers."""

    def __init__(self, source: str, alias_problem: tuple[int, str] | None = None):
        self.source = source
        self.alias_problem = alias_problem  # (line, message): reading on would expand it
        self.problems: list[Problem] = []
        self.journey_id: str | None = None
        # (step id, label, target) -> the line where the step names that target
        self.target_lines: dict[tuple[str, str, str], int] = {}

    # positions ------------------------------------------------------------------------------

    @staticmethod
    def line_of(node: Any, key: Any = None, default: int = 1) -> int:
        lc = getattr(node, "lc", None)
        if lc is None:
            return default
        try:
            if key is not None:
                if isinstance(node, Mapping):
                    return lc.key(key)[0] + 1
                return lc.item(key)[0] + 1
            return lc.line + 1
        except (KeyError, IndexError, TypeError, AttributeError):
            return default

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message, journey_id=self.journey_id))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(
            Problem(self.source, line, message, severity="warning", journey_id=self.journey_id)
        )

    def mapping(self, node: Any, where: str, line: int) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        self.error(line, f"{where}: expected a mapping, got {_describe(node)}")
        return None

    def known_keys(self, node: Mapping, allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(
                    self.line_of(node, key),
                    f"{where}: unknown key '{key}'" + _hint(str(key), allowed),
                )

    def text(self, node: Mapping, key: str, where: str, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.error(self.line_of(node), f"{where}: '{key}' is required")
            return None
        if isinstance(value, Mapping | list | bool):
            self.error(
                self.line_of(node, key), f"{where}.{key}: expected text, got {_describe(value)}"
            )
            return None
        return str(value)

    def number(
        self, node: Mapping, key: str, where: str, *, integer: bool = False
    ) -> float | int | None:
        """The number at `key`, within its `NUMBER_BOUNDS`; None if absent or reported."""
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(
                self.line_of(node, key), f"{where}.{key}: expected a number, got {_describe(value)}"
            )
            return None
        if not self.in_bounds(node, key, f"{where}.{key}", value):
            return None
        if integer and int(value) != value:
            self.error(self.line_of(node, key), f"{where}.{key}: expected a whole number")
            return None
        return int(value) if integer else value

    def in_bounds(
        self, node: Mapping, key: str, label: str, value: float, bounds: str | None = None
    ) -> bool:
        """Whether a number is within the bounds of its key (or of `bounds`); reports if not."""
        low, high = NUMBER_BOUNDS[bounds or key]
        if value < low:
            self.error(self.line_of(node, key), f"{label}: must be at least {low}")
            return False
        if not value <= high:  # also NaN
            self.error(self.line_of(node, key), f"{label}: must be {low}..{high}")
            return False
        return True

    def where_map(self, node: Mapping, key: str, where: str) -> Mapping | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.error(
                self.line_of(node, key),
                f"{where}.{key}: expected a mapping of property: value, got {_describe(value)}",
            )
            return None
        for prop, item in value.items():
            if isinstance(item, Mapping | list):
                self.error(
                    self.line_of(value, prop), f"{where}.{key}.{prop}: expected a plain value"
                )
        return {str(k): _plain(v) for k, v in value.items()}

    def word_list(self, node: Mapping, key: str, where: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, Mapping | list) for v in value):
            self.error(self.line_of(node, key), f"{where}.{key}: expected a list of words")
            return ()
        return tuple(str(v) for v in value)

    # the journey ----------------------------------------------------------------------------

    def journey(self, document: Any) -> tuple[Journey | None, list[Problem]]:
        if not isinstance(document, Mapping):
            self.error(1, f"a journey file holds a mapping, got {_describe(document)}")
            return None, self.problems
        doc = document
        self.known_keys(
            doc,
            (
                "id",
                "name",
                "version",
                "state",
                "timezone",
                "entry",
                "frequency",
                "exit",
                "send_to",
                "unsubscribe",
                "attribution",
                "steps",
                "description",
            ),
            "journey",
        )
        journey_id = self.text(doc, "id", "journey")
        if journey_id is not None:
            self.journey_id = journey_id
            if not ID_PATTERN.fullmatch(journey_id):
                self.error(
                    self.line_of(doc, "id"),
                    f"id: '{journey_id}' must use only a-z, 0-9, '_' and '-'",
                )
        if self.alias_problem is not None:
            self.error(*self.alias_problem)
            return None, self.problems
        name = self.text(doc, "name", "journey", required=False) or journey_id or ""
        version = doc.get("version")
        if version is None:
            self.error(self.line_of(doc), "journey: 'version' is required")
        elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.error(self.line_of(doc, "version"), "version: expected a whole number >= 1")
            version = None
        elif not self.in_bounds(doc, "version", "version", version):
            version = None
        state = self.choice(doc, "state", STATES, "draft")
        frequency = self.choice(doc, "frequency", FREQUENCIES, "once")
        timezone = self.text(doc, "timezone", "journey", required=False) or "UTC"
        if doc.get("timezone") == "" or not _valid_timezone(timezone):
            self.error(self.line_of(doc, "timezone"), f"timezone: unknown time zone '{timezone}'")
        entry = self.entry(doc)
        exit_ = self.exit(doc)
        send_to = self.send_to(doc, "send_to", "send_to")
        unsubscribe = self.unsubscribe(doc)
        attribution = self.attribution(doc)
        steps = self.steps(doc)
        if exit_ is not None and exit_.on_conversion and attribution is None:
            self.error(
                self.line_of(doc, "exit"),
                "exit.on_conversion: needs an `attribution` activity to convert on",
            )
        if any(p.severity == "error" for p in self.problems):
            return None, self.problems
        journey = Journey(
            id=journey_id,
            name=name,
            version=version,
            state=state,
            timezone=timezone,
            entry=entry,
            frequency=frequency,
            exit=exit_,
            send_to=send_to,
            unsubscribe=unsubscribe,
            attribution=attribution,
            steps=steps,
            source=self.source,
            raw=_plain(doc),
            lines=self.key_lines(doc),
        )
        return journey, self.problems

    def key_lines(self, doc: Mapping) -> dict[str, int]:
        """Lines of the top-level keys, and of the entry's keys as `entry.<key>`."""
        lines = {str(key): self.line_of(doc, key) for key in doc}
        entry = doc.get("entry")
        if isinstance(entry, Mapping):
            lines.update({f"entry.{key}": self.line_of(entry, key) for key in entry})
        return lines

    def choice(self, node: Mapping, key: str, options: tuple[str, ...], default: str) -> str:
        value = node.get(key, default)
        if value not in options:
            self.error(
                self.line_of(node, key),
                f"{key}: '{value}' is not one of: {', '.join(options)}"
                + _near(str(value), options),
            )
            return default
        return value

    def entry(self, doc: Mapping) -> Entry | None:
        if doc.get("entry") is None:
            self.error(
                self.line_of(doc, "entry", self.line_of(doc)), "journey: 'entry' is required"
            )
            return None
        node = self.mapping(doc["entry"], "entry", self.line_of(doc, "entry"))
        if node is None:
            return None
        keys_by_kind = {
            "filter": ("filter",),
            "activity": ("activity", "where", "filter"),
            "tags": ("tags", "match", "filter"),
            "approaching_date": ("field", "days_before", "filter"),
            "anniversary": ("field", "at", "filter"),
            "recurring": ("every", "on", "day", "at", "filter"),
        }
        when = node.get("when")
        if when is None:
            self.error(
                self.line_of(node),
                f"entry: 'when' is required (one of: {', '.join(ENTRY_KINDS)})",
            )
            return None
        if when not in keys_by_kind:
            self.error(
                self.line_of(node, "when", self.line_of(node)),
                f"entry.when: '{when}' is not one of: {', '.join(ENTRY_KINDS)}"
                + _near(str(when), ENTRY_KINDS),
            )
            return None
        self.known_keys(node, ("when", *keys_by_kind[when]), f"entry ({when})")
        entry_filter = self.filter_at(node, "filter", "entry.filter", subject="org", since=False)
        if when == "filter" and "filter" not in node:
            self.error(self.line_of(node), "entry.filter: required when entry.when is filter")
        kwargs: dict[str, Any] = {"when": when, "filter": entry_filter}
        if when == "activity":
            kwargs["activity"] = self.text(node, "activity", "entry")
            kwargs["where"] = self.where_map(node, "where", "entry")
        elif when == "tags":
            tags = self.word_list(node, "tags", "entry")
            if not tags:
                self.error(self.line_of(node), "entry.tags: at least one tag is required")
            kwargs["tags"] = tags
            kwargs["match"] = self.choice(node, "match", ("any", "all"), "any")
        elif when in ("approaching_date", "anniversary"):
            kwargs["field"] = self.text(node, "field", "entry")
            if when == "approaching_date":
                days = self.number(node, "days_before", "entry", integer=True)
                if days is None and "days_before" not in node:
                    self.error(self.line_of(node), "entry: 'days_before' is required")
                kwargs["days_before"] = days
        if when in ("anniversary", "recurring"):
            kwargs["at"] = self.clock(node, "at", "entry") or "00:00"
        if when == "recurring":
            every = self.choice(node, "every", ("day", "week", "month"), "day")
            if "every" not in node:
                self.error(self.line_of(node), "entry: 'every' is required (day, week or month)")
            kwargs["every"] = every
            on = tuple(day.lower() for day in self.word_list(node, "on", "entry"))
            for day in on:
                if day not in WEEKDAYS:
                    self.error(self.line_of(node, "on"), f"entry.on: '{day}' is not a weekday")
            if every == "week" and not on:
                self.error(self.line_of(node), "entry.on: weekdays are required for every: week")
            if on and every != "week":
                self.error(self.line_of(node, "on"), f"entry.on: only for every: week, not {every}")
            kwargs["on"] = on
            day = self.number(node, "day", "entry", integer=True)
            if every == "month" and node.get("day") is None:  # a wrong day is reported
                self.error(
                    self.line_of(node), "entry.day: a day 1..31 is required for every: month"
                )
            if "day" in node and every != "month":
                self.error(
                    self.line_of(node, "day"), f"entry.day: only for every: month, not {every}"
                )
            kwargs["day"] = day
        return Entry(**kwargs)

    def clock(self, node: Mapping, key: str, where: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        text = str(value)
        if not CLOCK_PATTERN.fullmatch(text):
            self.error(self.line_of(node, key), f"{where}.{key}: expected HH:MM, got '{text}'")
            return None
        return text

    def exit(self, doc: Mapping) -> Exit | None:
        if doc.get("exit") is None:
            return None
        node = self.mapping(doc["exit"], "exit", self.line_of(doc, "exit"))
        if node is None:
            return None
        self.known_keys(node, ("filter", "on_conversion"), "exit")
        on_conversion = node.get("on_conversion", False)
        if not isinstance(on_conversion, bool):
            self.error(
                self.line_of(node, "on_conversion"), "exit.on_conversion: expected true or false"
            )
            on_conversion = False
        exit_filter = self.filter_at(node, "filter", "exit.filter", subject="org", since=True)
        if exit_filter is None and not on_conversion:
            return None  # `exit: {}` says nothing
        return Exit(filter=exit_filter, on_conversion=on_conversion)

    def send_to(self, node: Mapping, key: str, where: str) -> Filter | None:
        value = node.get(key)
        if value is None or value == "everyone":
            return None
        if isinstance(value, Mapping) and set(value) == {"filter"}:
            return self.filter_at(
                value, "filter", f"{where}.filter", subject="contact", since=False
            )
        self.error(
            self.line_of(node, key),
            f"{where}: expected `everyone` or {{filter: <contact filter>}}",
        )
        return None

    def unsubscribe(self, doc: Mapping) -> str | None:
        value = doc.get("unsubscribe")
        if value is None or value == "global":
            return None
        if isinstance(value, Mapping) and set(value) == {"audience"} and value["audience"]:
            audience = str(value["audience"])
            if audience == "*":
                return None
            return audience
        self.error(
            self.line_of(doc, "unsubscribe"), "unsubscribe: expected `global` or {audience: NAME}"
        )
        return None

    def attribution(self, doc: Mapping) -> Attribution | None:
        if doc.get("attribution") is None:
            return None
        node = self.mapping(doc["attribution"], "attribution", self.line_of(doc, "attribution"))
        if node is None:
            return None
        self.known_keys(node, ("activity", "within_days", "where"), "attribution")
        activity = self.text(node, "activity", "attribution")
        within = self.number(node, "within_days", "attribution")
        return Attribution(
            activity=activity or "",
            within_days=30 if within is None else within,
            where=self.where_map(node, "where", "attribution"),
        )

    # filters --------------------------------------------------------------------------------

    def filter_at(
        self, node: Mapping, key: str, where: str, *, subject: str, since: bool
    ) -> Filter | None:
        if node.get(key) is None:
            return None
        return self.filter(node[key], where, self.line_of(node, key), subject, since)

    def filter(self, node: Any, where: str, line: int, subject: str, since: bool) -> Filter | None:
        if not isinstance(node, Mapping):
            self.error(line, f"{where}: expected a filter mapping, got {_describe(node)}")
            return None
        line = self.line_of(node, default=line)
        if len(node) == 1 and next(iter(node)) in ("all", "any"):
            key = next(iter(node))
            items = node[key]
            if not isinstance(items, list) or not items:
                self.error(line, f"{where}.{key}: expected a non-empty list of filters")
                return None
            parsed = [
                self.filter(
                    item, f"{where}.{key}[{i}]", self.line_of(items, i, line), subject, since
                )
                for i, item in enumerate(items)
            ]
            if any(p is None for p in parsed):
                return None
            return (AllOf if key == "all" else AnyOf)(items=tuple(parsed), line=line)
        if len(node) == 1 and "not" in node:
            item = self.filter(
                node["not"], f"{where}.not", self.line_of(node, "not"), subject, since
            )
            return None if item is None else Not(item=item, line=line)
        if "tag" in node:
            self.known_keys(node, ("tag",), where)
            tag = node["tag"]
            if tag is None or isinstance(tag, Mapping | list | bool):
                self.error(self.line_of(node, "tag"), f"{where}.tag: expected a tag name")
                return None
            return TagCondition(tag=str(tag), line=line)
        if "activity" in node:
            return self.activity_condition(node, where, line, subject, since)
        if "field" in node:
            return self.field_condition(node, where, line)
        self.error(
            line,
            f"{where}: a filter is {{field, op, value}}, {{tag}}, {{activity, ..}}, "
            "{all: [..]}, {any: [..]} or {not: ..}",
        )
        return None

    def field_condition(self, node: Mapping, where: str, line: int) -> FieldCondition | None:
        self.known_keys(node, ("field", "op", "value"), where)
        name = self.text(node, "field", where)
        op = node.get("op")
        if op is None:
            self.error(line, f"{where}: 'op' is required (one of: {', '.join(OPS)})")
            return None
        if op not in OPS:
            self.error(
                self.line_of(node, "op", line),
                f"{where}.op: '{op}' is not one of: {', '.join(OPS)}" + _near(str(op), OPS),
            )
            return None
        value = _plain(node.get("value"))
        if op in ("is_set", "is_not_set"):
            value = None
        elif "value" not in node or value is None:
            self.error(self.line_of(node, "op", line), f"{where}: op '{op}' needs a `value`")
            return None
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self.error(self.line_of(node, "value"), f"{where}.value: '{op}' needs a list")
                return None
            value = tuple(value)
        elif op in ("within_last_days", "within_next_days"):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                self.error(
                    self.line_of(node, "value"), f"{where}.value: '{op}' needs a number of days"
                )
                return None
            if not self.in_bounds(node, "value", f"{where}.value", value, bounds="within_days"):
                return None
        elif isinstance(value, Mapping | list):
            self.error(self.line_of(node, "value"), f"{where}.value: expected a single value")
            return None
        if name is None:
            return None
        return FieldCondition(
            field=name, op=op, value=value, line=self.line_of(node, "field", line)
        )

    def activity_condition(
        self, node: Mapping, where: str, line: int, subject: str, since: bool
    ) -> ActivityCondition | None:
        self.known_keys(node, ("activity", "min_count", "within_days", "since", "where"), where)
        activity = self.text(node, "activity", where)
        min_count = self.number(node, "min_count", where, integer=True)
        within = self.number(node, "within_days", where)
        since_value = node.get("since")
        if since_value is not None:
            if since_value != "entry":
                self.error(self.line_of(node, "since"), f"{where}.since: only `entry` is supported")
            elif not since:
                self.error(
                    self.line_of(node, "since"),
                    f"{where}.since: `since: entry` is only allowed inside steps and exit",
                )
        if activity is None:
            return None
        return ActivityCondition(
            activity=activity,
            min_count=1 if min_count is None else min_count,
            within_days=within,
            since="entry" if since_value == "entry" else None,
            where=self.where_map(node, "where", where),
            line=line,
        )

    # steps ----------------------------------------------------------------------------------

    def steps(self, doc: Mapping) -> tuple[Step, ...]:
        nodes = doc.get("steps")
        if nodes is None:
            nodes = []
        if not isinstance(nodes, list):
            self.error(self.line_of(doc, "steps"), "steps: expected a list of steps")
            return ()
        steps: list[Step] = []
        ids: dict[str, int] = {}
        for index, node in enumerate(nodes):
            line = self.line_of(nodes, index, self.line_of(doc, "steps"))
            step = self.step(node, index, line)
            if step is None:
                continue
            if step.id in ids:
                self.error(
                    line, f"steps[{index}].id: '{step.id}' is already used at line {ids[step.id]}"
                )
                continue
            if step.id == "end":
                self.error(line, f"steps[{index}].id: 'end' is reserved")
                continue
            ids[step.id] = line
            steps.append(step)
        if any(p.severity == "error" for p in self.problems):
            return tuple(steps)
        for step in steps:
            for label, target in _targets(step):
                if target != "end" and target not in ids:
                    self.error(
                        self.target_lines.get((step.id, label, target), step.line),
                        f"step '{step.id}' {label}: no step with id '{target}'"
                        + _hint(target, [*ids, "end"]),
                    )
        if not any(p.severity == "error" for p in self.problems):
            self.check_loops(steps)
            self.check_reachable(steps)
        return tuple(steps)

    def check_reachable(self, steps: list[Step]) -> None:
        """A step no path from the first step leads to never runs: a warning."""
        if not steps:
            return
        order = [s.id for s in steps]
        by_id = {s.id: s for s in steps}
        seen = {order[0]}
        todo = [order[0]]
        while todo:
            for _, target in _targets(by_id[todo.pop()], order):
                if target in by_id and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for step in steps:
            if step.id not in seen:
                self.warn(step.line, f"step '{step.id}' is unreachable: no step leads to it")

    def step(self, node: Any, index: int, line: int) -> Step | None:
        where = f"steps[{index}]"
        if not isinstance(node, Mapping):
            self.error(line, f"{where}: expected a mapping with an id and one action")
            return None
        step_id = self.text(node, "id", where)
        if step_id is not None:
            where = f"step '{step_id}'"
            if not ID_PATTERN.fullmatch(step_id):
                self.error(
                    self.line_of(node, "id"), f"{where}: id must use only a-z, 0-9, '_' and '-'"
                )
        actions = [key for key in node if key in ACTIONS]
        allowed = ("id", "next", "name", "send_to", "then", "else")
        unknown = [key for key in node if key not in ACTIONS and key not in allowed]
        for key in unknown:
            close = difflib.get_close_matches(str(key), [*ACTIONS, *allowed], n=1)
            hint = (
                f" (did you mean '{close[0]}'?)" if close else f" (actions: {', '.join(ACTIONS)})"
            )
            self.error(self.line_of(node, key), f"{where}: unknown key '{key}'{hint}")
        if len(actions) != 1:
            if actions or not unknown:  # a misspelt action is already reported
                found = ", ".join(actions) if actions else "none"
                at = self.line_of(node, actions[1], line) if len(actions) > 1 else line
                self.error(at, f"{where}: needs exactly one action, found {found}")
            return None
        action = actions[0]
        next_step = self.text(node, "next", where, required=False)
        body = node[action]
        body_line = self.line_of(node, action)
        if step_id is None:
            return None
        common = {"id": step_id, "next": next_step, "line": line}
        if next_step is not None:
            self.target_lines[(step_id, "next", next_step)] = self.line_of(node, "next", line)
        for key in ("then", "else"):
            if key in node and action != "wait_for":
                self.error(self.line_of(node, key), f"{where}: '{key}' belongs to wait_for steps")
        if "send_to" in node and action not in ("send_email", "send_sms"):
            self.error(self.line_of(node, "send_to"), f"{where}: 'send_to' belongs to send steps")
        if action in ("send_email", "send_sms"):
            body = self.mapping(body, f"{where}.{action}", body_line)
            if body is None:
                return None
            self.known_keys(body, ("template", "send_to"), f"{where}.{action}")
            template = self.text(body, "template", f"{where}.{action}")
            send_to = self.send_to(body, "send_to", f"{where}.{action}.send_to")
            if "send_to" in node:
                send_to = self.send_to(node, "send_to", f"{where}.send_to")
            cls = SendEmail if action == "send_email" else SendSms
            return cls(template=template or "", send_to=send_to, **common)
        if action == "delay":
            body = self.mapping(body, f"{where}.delay", body_line)
            if body is None:
                return None
            self.known_keys(
                body, ("minutes", "hours", "days", "until", "weekdays"), f"{where}.delay"
            )
            duration = {
                k: self.number(body, k, f"{where}.delay") for k in ("minutes", "hours", "days")
            }
            until = self.clock(body, "until", f"{where}.delay")
            weekdays = tuple(d.lower() for d in self.word_list(body, "weekdays", f"{where}.delay"))
            for day in weekdays:
                if day not in WEEKDAYS:
                    self.error(
                        self.line_of(body, "weekdays"),
                        f"{where}.delay.weekdays: '{day}' is not a weekday",
                    )
            has_duration = any(key in body for key in duration)
            if has_duration and "until" in body:
                self.error(body_line, f"{where}.delay: give minutes/hours/days or until, not both")
            elif not has_duration and "until" not in body and set(body) <= {"weekdays"}:
                self.error(body_line, f"{where}.delay: give minutes, hours or days, or until")
            if weekdays and "until" not in body:
                self.error(self.line_of(body, "weekdays"), f"{where}.delay.weekdays: needs `until`")
            return Delay(until=until, weekdays=weekdays, **duration, **common)
        if action == "wait_for":
            body = self.mapping(body, f"{where}.wait_for", body_line)
            if body is None:
                return None
            self.known_keys(
                body, ("activity", "where", "timeout", "then", "else"), f"{where}.wait_for"
            )
            activity = self.text(body, "activity", f"{where}.wait_for")
            timeout = self.duration(body, "timeout", f"{where}.wait_for")
            then = self.text(node, "then", where, required=False) or self.text(
                body, "then", f"{where}.wait_for", required=False
            )
            else_ = self.text(node, "else", where, required=False) or self.text(
                body, "else", f"{where}.wait_for", required=False
            )
            for key, target in (("then", then), ("else", else_)):
                if target is not None:
                    holder = node if key in node else body
                    self.target_lines[(step_id, key, target)] = self.line_of(holder, key, line)
            if activity is None or timeout is None:
                return None
            return WaitFor(
                activity=activity,
                timeout=timeout,
                where=self.where_map(body, "where", f"{where}.wait_for"),
                then=then,
                else_=else_,
                **common,
            )
        if action == "condition":
            return self.condition(body, where, body_line, common)
        if action == "split":
            if not isinstance(body, list) or not body:
                self.error(body_line, f"{where}.split: expected a list of {{percent, goto}}")
                return None
            branches = []
            for i, branch in enumerate(body):
                branch_line = self.line_of(body, i, body_line)
                if not isinstance(branch, Mapping) or set(branch) != {"percent", "goto"}:
                    self.error(
                        branch_line, f"{where}.split[{i}]: expected {{percent: P, goto: id}}"
                    )
                    return None
                percent = self.number(branch, "percent", f"{where}.split[{i}]")
                if percent is None:
                    return None
                branches.append((percent, str(branch["goto"])))
                self.target_lines.setdefault(
                    (step_id, "goto", str(branch["goto"])),
                    self.line_of(branch, "goto", branch_line),
                )
            total = sum(p for p, _ in branches)
            if abs(total - 100) > 1e-9 or any(int(p) != p for p, _ in branches):
                self.error(
                    body_line, f"{where}.split: whole percents must add up to 100 (got {total:g})"
                )
                return None
            return Split(branches=tuple((int(p), goto) for p, goto in branches), **common)
        if action == "tag_org":
            body = self.mapping(body, f"{where}.tag_org", body_line)
            if body is None:
                return None
            self.known_keys(body, ("add", "remove"), f"{where}.tag_org")
            add = self.word_list(body, "add", f"{where}.tag_org")
            remove = self.word_list(body, "remove", f"{where}.tag_org")
            if not add and not remove:
                self.error(body_line, f"{where}.tag_org: give tags to `add` or `remove`")
            return TagOrg(add=add, remove=remove, **common)
        if action == "update_org":
            body = self.mapping(body, f"{where}.update_org", body_line)
            if body is None:
                return None
            self.known_keys(body, ("field", "value"), f"{where}.update_org")
            field_name = self.text(body, "field", f"{where}.update_org")
            if field_name in BUILTIN_ORG_FIELDS:
                self.error(
                    self.line_of(body, "field"),
                    f"{where}.update_org.field: '{field_name}' is built in and cannot be updated"
                    " (use tag_org for tags)",
                )
            value = _plain(body.get("value"))
            if "value" not in body or isinstance(value, Mapping | list):
                self.error(body_line, f"{where}.update_org: needs a single `value`")
                return None
            if field_name is None:
                return None
            return UpdateOrg(field=field_name, value=value, **common)
        # exit
        if body not in (None, {}) and not (isinstance(body, Mapping) and not body):
            self.error(body_line, f"{where}.exit: takes no settings (write `exit: {{}}`)")
        return ExitStep(**common)

    def duration(self, node: Mapping, key: str, where: str) -> Duration | None:
        body = node.get(key)
        if body is None:
            self.error(
                self.line_of(node), f"{where}: '{key}' is required (e.g. {key}: {{days: 3}})"
            )
            return None
        body = self.mapping(body, f"{where}.{key}", self.line_of(node, key))
        if body is None:
            return None
        self.known_keys(body, ("minutes", "hours", "days"), f"{where}.{key}")
        values = {k: self.number(body, k, f"{where}.{key}") for k in ("minutes", "hours", "days")}
        if all(v is None for v in values.values()):
            if not body:  # a wrong key or value is already reported
                self.error(self.line_of(node, key), f"{where}.{key}: give minutes, hours or days")
            return None
        return Duration(**values)

    def condition(self, body: Any, where: str, line: int, common: dict) -> Condition | None:
        if not isinstance(body, list) or not body:
            self.error(line, f"{where}.condition: expected a list of {{if, goto}} and an {{else}}")
            return None
        branches = []
        else_ = None
        for i, branch in enumerate(body):
            branch_line = self.line_of(body, i, line)
            label = f"{where}.condition[{i}]"
            if isinstance(branch, Mapping) and set(branch) == {"else"}:
                if i != len(body) - 1:
                    self.error(branch_line, f"{label}: `else` must be the last branch")
                else_ = str(branch["else"])
                self.target_lines[(common["id"], "else", else_)] = self.line_of(
                    branch, "else", branch_line
                )
                continue
            if not isinstance(branch, Mapping) or set(branch) != {"if", "goto"}:
                self.error(
                    branch_line, f"{label}: expected {{if: <filter>, goto: id}} or {{else: id}}"
                )
                return None
            condition = self.filter(
                branch["if"], f"{label}.if", self.line_of(branch, "if", branch_line), "org", True
            )
            if condition is None:
                return None
            branches.append((condition, str(branch["goto"])))
            self.target_lines.setdefault(
                (common["id"], "goto", str(branch["goto"])),
                self.line_of(branch, "goto", branch_line),
            )
        return Condition(branches=tuple(branches), else_=else_, **common)

    def check_loops(self, steps: list[Step]) -> None:
        """A cycle of steps none of which waits would run forever within one run."""
        waits = {s.id for s in steps if isinstance(s, Delay | WaitFor)}
        graph = {
            s.id: [t for _, t in _targets(s, [x.id for x in steps]) if t != "end"]
            for s in steps
            if s.id not in waits
        }
        state: dict[str, int] = {}

        def visit(node: str, path: list[str]) -> list[str] | None:
            state[node] = 1
            for target in graph.get(node, []):
                if target not in graph:
                    continue
                if state.get(target) == 1:
                    return [*path[path.index(target) :], target] if target in path else [target]
                if target not in state:
                    cycle = visit(target, [*path, target])
                    if cycle:
                        return cycle
            state[node] = 2
            return None

        by_id = {s.id: s for s in steps}
        for step in steps:
            if step.id in graph and step.id not in state:
                cycle = visit(step.id, [step.id])
                if cycle:
                    self.error(
                        by_id[cycle[0]].line,
                        "steps: " + " -> ".join(cycle) + " can loop without a delay or wait",
                    )
                    return


def _targets(step: Step, order: list[str] | None = None) -> list[tuple[str, str]]:
    """Where a step can go: (label, step id or 'end').

    Without `order` only the targets written in the step; with the step order, also where
    it falls through to (the next step in the list, or the end).
    """
    following = None
    if order is not None:
        index = order.index(step.id)
        following = order[index + 1] if index + 1 < len(order) else "end"
    default = step.next or following
    if isinstance(step, WaitFor):
        targets = [("then", step.then or default), ("else", step.else_ or default)]
    elif isinstance(step, Condition):
        targets = [("goto", goto) for _, goto in step.branches]
        targets.append(("else", step.else_ or default))
    elif isinstance(step, Split):
        targets = [("goto", goto) for _, goto in step.branches]
    elif isinstance(step, ExitStep):
        targets = []
    else:
        targets = [("next", default)]
    if step.next and not any(label == "next" for label, _ in targets):
        targets.append(("next", step.next))
    return [(label, target) for label, target in targets if target]


# -- the canonical definition -----------------------------------------------------------------


def _entry_definition(entry: Entry) -> dict[str, Any]:
    definition: dict[str, Any] = {"when": entry.when}
    if entry.when == "activity":
        definition["activity"] = entry.activity
        if entry.where:
            definition["where"] = _canonical(entry.where)
    elif entry.when == "tags":
        definition["tags"] = list(entry.tags)
        definition["match"] = entry.match
    elif entry.when == "approaching_date":
        definition["field"] = entry.field
        definition["days_before"] = entry.days_before
    elif entry.when == "anniversary":
        definition["field"] = entry.field
        definition["at"] = entry.at
    elif entry.when == "recurring":
        definition["every"] = entry.every
        if entry.on:
            definition["on"] = list(entry.on)
        if entry.day is not None:
            definition["day"] = entry.day
        definition["at"] = entry.at
    if entry.filter is not None:
        definition["filter"] = filter_definition(entry.filter)
    return definition


def _exit_definition(exit_: Exit) -> dict[str, Any]:
    definition: dict[str, Any] = {"on_conversion": exit_.on_conversion}
    if exit_.filter is not None:
        definition["filter"] = filter_definition(exit_.filter)
    return definition


def _send_to_definition(send_to: Filter | None) -> Any:
    return "everyone" if send_to is None else {"filter": filter_definition(send_to)}


def _attribution_definition(attribution: Attribution) -> dict[str, Any]:
    definition = {
        "activity": attribution.activity,
        "within_days": _canonical(attribution.within_days),
    }
    if attribution.where:
        definition["where"] = _canonical(attribution.where)
    return definition


def _duration_definition(minutes, hours, days) -> dict[str, Any]:
    values = {"minutes": minutes, "hours": hours, "days": days}
    return {key: _canonical(value) for key, value in values.items() if value is not None}


def filter_definition(node: Filter) -> dict[str, Any]:
    """A filter node as the plain mapping a journey file would write for it."""
    if isinstance(node, AllOf):
        return {"all": [filter_definition(item) for item in node.items]}
    if isinstance(node, AnyOf):
        return {"any": [filter_definition(item) for item in node.items]}
    if isinstance(node, Not):
        return {"not": filter_definition(node.item)}
    if isinstance(node, TagCondition):
        return {"tag": node.tag}
    if isinstance(node, ActivityCondition):
        definition: dict[str, Any] = {"activity": node.activity, "min_count": node.min_count}
        if node.within_days is not None:
            definition["within_days"] = _canonical(node.within_days)
        if node.since is not None:
            definition["since"] = node.since
        if node.where:
            definition["where"] = _canonical(node.where)
        return definition
    definition = {"field": node.field, "op": node.op}
    if node.op not in ("is_set", "is_not_set"):
        definition["value"] = _canonical(node.value)
    return definition


def _step_definition(step: Step) -> dict[str, Any]:
    definition: dict[str, Any] = {"id": step.id}
    action = step_action(step)
    if isinstance(step, SendEmail | SendSms):
        definition[action] = {"template": step.template}
        if step.send_to is not None:
            definition["send_to"] = _send_to_definition(step.send_to)
    elif isinstance(step, Delay):
        if step.until is not None:
            body: dict[str, Any] = {"until": step.until}
            if step.weekdays:
                body["weekdays"] = list(step.weekdays)
        else:
            body = _duration_definition(step.minutes, step.hours, step.days)
        definition[action] = body
    elif isinstance(step, WaitFor):
        body = {
            "activity": step.activity,
            "timeout": _duration_definition(
                step.timeout.minutes, step.timeout.hours, step.timeout.days
            ),
        }
        if step.where:
            body["where"] = _canonical(step.where)
        definition[action] = body
        if step.then is not None:
            definition["then"] = step.then
        if step.else_ is not None:
            definition["else"] = step.else_
    elif isinstance(step, Condition):
        branches: list[dict[str, Any]] = [
            {"if": filter_definition(condition), "goto": goto} for condition, goto in step.branches
        ]
        if step.else_ is not None:
            branches.append({"else": step.else_})
        definition[action] = branches
    elif isinstance(step, Split):
        definition[action] = [
            {"percent": _canonical(percent), "goto": goto} for percent, goto in step.branches
        ]
    elif isinstance(step, TagOrg):
        body = {}
        if step.add:
            body["add"] = list(step.add)
        if step.remove:
            body["remove"] = list(step.remove)
        definition[action] = body
    elif isinstance(step, UpdateOrg):
        definition[action] = {"field": step.field, "value": _canonical(step.value)}
    else:
        definition[action] = {}
    if step.next is not None:
        definition["next"] = step.next
    return definition


def _canonical(value: Any) -> Any:
    """Plain data with whole floats as ints (`7.0` and `7` are one value) and sorted keys."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- field checks -----------------------------------------------------------------------------


def check_fields(
    journey: Journey,
    org_fields: Mapping[str, str] | None,
    contact_fields: Mapping[str, str] | None,
) -> list[Problem]:
    """Unknown fields and misused types in a journey's filters and entry field.

    `org_fields` / `contact_fields` map every known field to its type (`text`, `number`,
    `date`, `timestamp`, `bool`, `list`). With no warehouse yet (`None`), only the built-in
    fields are known: a name that is not built in cannot be judged and is not reported,
    while the built-ins are still type-checked.
    """
    problems: list[Problem] = []
    # A field that a step sets exists from then on (as text) even if the CRM lacks it.
    set_by_steps = [s.field for s in journey.steps if isinstance(s, UpdateOrg)]
    known_org = {**BUILTIN_ORG_FIELDS, **(org_fields or {})}
    if org_fields is not None:
        known_org = {**dict.fromkeys(set_by_steps, "text"), **known_org}
    known_contact = {**BUILTIN_CONTACT_FIELDS, **(contact_fields or {})}

    def report(line: int, message: str) -> None:
        problems.append(Problem(journey.source, line, message, journey_id=journey.id))

    def check(node: Filter | None, subject: str, where: str) -> None:
        complete = (org_fields if subject == "org" else contact_fields) is not None
        known = known_org if subject == "org" else known_contact
        noun = "organization" if subject == "org" else "contact"
        for leaf in filter_leaves(node):
            if not isinstance(leaf, FieldCondition):
                continue
            if leaf.field not in known:
                if complete:
                    report(
                        leaf.line,
                        f"{where}: unknown {noun} field '{leaf.field}'" + _hint(leaf.field, known),
                    )
                continue
            for message in _misuse(leaf, known[leaf.field]):
                report(leaf.line, f"{where}: {message}")

    check(journey.entry.filter, "org", "entry.filter")
    if journey.entry.field is not None:
        name = journey.entry.field
        line = journey.lines.get("entry.field", journey.lines.get("entry", 1))
        if name not in known_org:
            if org_fields is not None:
                report(
                    line,
                    f"entry.field: unknown organization field '{name}'" + _hint(name, known_org),
                )
        elif known_org[name] not in ("date", "timestamp"):
            report(line, f"entry.field: '{name}' is {known_org[name]}, not a date")
    if journey.exit is not None:
        check(journey.exit.filter, "org", "exit.filter")
    check(journey.send_to, "contact", "send_to")
    for step in journey.steps:
        if isinstance(step, Condition):
            for condition, _ in step.branches:
                check(condition, "org", f"step '{step.id}' condition")
        elif isinstance(step, SendEmail | SendSms):
            check(step.send_to, "contact", f"step '{step.id}' send_to")
    return problems


_LIST_OPS = ("eq", "ne", "in", "not_in", "contains", "is_set", "is_not_set")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOOL_WORDS = ("true", "false", "yes", "no", "1", "0")


def _misuse(leaf: FieldCondition, field_type: str) -> list[str]:
    """What is wrong with applying a condition to a field of this type (nothing: [])."""
    name, op = leaf.field, leaf.op
    if op in ("within_last_days", "within_next_days"):
        if field_type not in ("date", "timestamp"):
            return [f"'{op}' needs a date or timestamp field; '{name}' is {field_type}"]
        return []
    if field_type == "list":
        if op not in _LIST_OPS:
            return [f"'{op}' does not apply to the list field '{name}'"]
        return []
    if op in ("contains", "starts_with"):
        if field_type != "text":
            return [f"'{op}' needs a text field; '{name}' is {field_type}"]
        return []
    if op in ("is_set", "is_not_set"):
        return []
    values = leaf.value if op in ("in", "not_in") else (leaf.value,)
    return [
        f"value '{value}' is not a {field_type} (the type of '{name}')"
        for value in values
        if not _fits(value, field_type)
    ]


def _fits(value: Any, field_type: str) -> bool:
    """Whether a filter value can be compared with a field of this type."""
    if isinstance(value, Mapping | list | tuple):
        return False
    text = "true" if value is True else "false" if value is False else str(value)
    if field_type == "number":
        if isinstance(value, bool):
            return False
        try:
            float(text)
        except ValueError:
            return False
        return True
    if field_type == "date":
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            return False
        return bool(_DATE_PATTERN.match(text))
    if field_type == "timestamp":
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return False
        return bool(_DATE_PATTERN.match(text))
    if field_type == "bool":
        return text.lower() in _BOOL_WORDS
    return True


# -- helpers ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """ruamel's round-trip nodes -> plain Python (dates as ISO text, as a definition stores)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _hint(name: str, known) -> str:
    """` (did you mean 'x'?)` for a near miss, else the known names."""
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(sorted(known))})"


def _near(name: str, known) -> str:
    """` (did you mean 'x'?)` for a near miss, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"


def _valid_timezone(name: str) -> bool:
    """An IANA zone name; not machine-specific files such as `localtime`."""
    known = _known_timezones()
    if known and name not in known:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
