"""Entry kinds: one class per `entry.when` (SPEC section 3, Entry).

Each kind knows its keys and how they are read, its canonical definition, the fields it
names, and its SQL: a level (`entry_levels`: the organizations matching now, whose rising
edges enter) or a trigger (`entry_triggers`: the organizations an activity, a date or a
scheduled instant enters this window). `ENTRY_KINDS` is the registry.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.canonical import canonical
from orgjourney_pipeline.journeys.filters import AllOf, AnyOf, FilterNode, TagCondition
from orgjourney_pipeline.journeys.model import known_field
from orgjourney_pipeline.journeys.problems import hint
from orgjourney_pipeline.journeys.recipients import triggering_send_tos
from orgjourney_pipeline.journeys.sqlexpr import (
    all_of,
    any_of,
    date_literal,
    field_column,
    where_properties,
)
from orgjourney_pipeline.journeys.templates import WindowContext, relation

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.fields import KnownFields
    from orgjourney_pipeline.journeys.model import Journey
    from orgjourney_pipeline.journeys.reader import NodeReader

Relations = dict[str, list[exp.Query]]


@dataclass(frozen=True, kw_only=True)
class EntryKind:
    """What every entry kind has: an optional organization filter."""

    filter: FilterNode | None = None
    WHEN: ClassVar[str]
    KEYS: ClassVar[tuple[str, ...]] = ()  # its keys besides `when` and `filter`

    @property
    def when(self) -> str:
        return self.WHEN

    @classmethod
    def read(cls, reader: NodeReader, node: Mapping, entry_filter: FilterNode | None) -> EntryKind:
        """The entry, its problems reported (a reported value takes its default)."""
        return cls(filter=entry_filter)

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"when": self.WHEN, **self.body()}
        if self.filter is not None:
            definition["filter"] = self.filter.definition()
        return definition

    def body(self) -> dict[str, Any]:
        """The kind's own keys, canonical."""
        return {}

    def relations(self, journey: Journey, context: WindowContext) -> Relations:
        """The kind's parts of the window's compiled relations."""
        raise NotImplementedError

    def window_shape(self, journey: Journey, context: WindowContext) -> Hashable:
        """What of the window, beyond the values a relation compiled for every window binds
        (`sqlexpr.WindowValue`), the kind's relations are built from (None: nothing). The
        relations are built from this and nothing else of the window, so it keys them."""
        return None

    def field_problems(self, fields: KnownFields, line: int) -> list[tuple[int, str]]:
        """Problems of the organization field the kind names (a date), if it names one."""
        return []

    def entry_filter(self, journey: Journey, context: WindowContext) -> exp.Expression:
        filter_ = self.filter
        return exp.true() if filter_ is None else filter_.predicate(context.org_scope(journey))


@dataclass(frozen=True, kw_only=True)
class FilterEntry(EntryKind):
    """`when: filter`: enters when it starts matching the filter."""

    WHEN: ClassVar[str] = "filter"

    @classmethod
    def read(cls, reader, node, entry_filter):
        if "filter" not in node:
            reader.error(reader.line_of(node), "entry.filter: required when entry.when is filter")
        return cls(filter=entry_filter)

    def relations(self, journey, context):
        condition = self.entry_filter(journey, context)
        return {
            "entry_levels": [relation("entry_level", journey_id=journey.id, condition=condition)]
        }


@dataclass(frozen=True, kw_only=True)
class TagsEntry(EntryKind):
    """`when: tags`: enters when it starts having the tags (any or all)."""

    tags: tuple[str, ...] = ()
    match: str = "any"
    WHEN: ClassVar[str] = "tags"
    KEYS: ClassVar[tuple[str, ...]] = ("tags", "match")

    @classmethod
    def read(cls, reader, node, entry_filter):
        tags = reader.word_list(node, "tags", "entry")
        if not tags:
            reader.error(reader.line_of(node), "entry.tags: at least one tag is required")
        match = reader.choice(node, "match", ("any", "all"), "any")
        return cls(filter=entry_filter, tags=tags, match=match)

    def body(self):
        return {"tags": list(self.tags), "match": self.match}

    def relations(self, journey, context):
        wanted = tuple(TagCondition(tag=tag) for tag in self.tags)
        tags = AllOf(items=wanted) if self.match == "all" else AnyOf(items=wanted)
        condition = all_of(
            [tags.predicate(context.org_scope(journey)), self.entry_filter(journey, context)]
        )
        return {
            "entry_levels": [relation("entry_level", journey_id=journey.id, condition=condition)]
        }


@dataclass(frozen=True, kw_only=True)
class ActivityEntry(EntryKind):
    """`when: activity`: any contact's activity of the type processed in the window."""

    activity: str | None = None
    where: Mapping[str, Any] | None = None
    WHEN: ClassVar[str] = "activity"
    KEYS: ClassVar[tuple[str, ...]] = ("activity", "where")

    @classmethod
    def read(cls, reader, node, entry_filter):
        return cls(
            filter=entry_filter,
            activity=reader.text(node, "activity", "entry"),
            where=reader.where_map(node, "where", "entry"),
        )

    def body(self):
        body: dict[str, Any] = {"activity": self.activity}
        if self.where:
            body["where"] = canonical(self.where)
        return body

    def properties_match(self, properties: exp.Expression) -> exp.Expression:
        """The entry's `where` over an activity's JSON `properties` (true without one)."""
        return where_properties(self.where or {}, properties)

    def relations(self, journey, context):
        trigger = relation(
            "entry_trigger_activity",
            journey_id=journey.id,
            activity_type=self.activity,
            properties_match=self.properties_match(exp.column("properties", "a")),
            entry_filter=self.entry_filter(journey, context),
        )
        if not triggering_send_tos(journey.send_to, journey.steps):
            return {"entry_triggers": [trigger]}
        contacts = relation(  # remembered for `send_to: triggering_contacts`
            "entry_trigger_contacts",
            journey_id=journey.id,
            activity_type=self.activity,
            properties_match=self.properties_match(exp.column("properties", "a")),
        )
        return {"entry_triggers": [trigger], "entry_trigger_contacts": [contacts]}


@dataclass(frozen=True, kw_only=True)
class _DateFieldEntry(EntryKind):
    """An entry on a date field of the organization."""

    field: str | None = None

    def field_problems(self, fields, line):
        known = fields.types("org")
        name = known_field(self.field, known)
        if name is None:
            if not fields.complete("org"):
                return []
            unknown = f"entry.field: unknown organization field '{self.field}'"
            return [(line, unknown + hint(self.field, known))]
        if known[name] not in ("date", "timestamp"):
            return [(line, f"entry.field: '{self.field}' is {known[name]}, not a date")]
        return []

    def field_date(self, context: WindowContext) -> exp.Expression:
        """The date field as a date, named as the warehouse names it (names ignore case)."""
        name = known_field(self.field, context.org_fields) or self.field
        return exp.cast(field_column(name, "o"), exp.DataType.Type.DATE)


@dataclass(frozen=True, kw_only=True)
class ApproachingDateEntry(_DateFieldEntry):
    """`when: approaching_date`: today within N days before the field's date, once per date."""

    days_before: int | None = None
    WHEN: ClassVar[str] = "approaching_date"
    KEYS: ClassVar[tuple[str, ...]] = ("field", "days_before")

    @classmethod
    def read(cls, reader, node, entry_filter):
        days = reader.number(node, "days_before", "entry", integer=True)
        if days is None and "days_before" not in node:
            reader.error(reader.line_of(node), "entry: 'days_before' is required")
        return cls(filter=entry_filter, field=reader.text(node, "field", "entry"), days_before=days)

    def body(self):
        return {"field": self.field, "days_before": self.days_before}

    def relations(self, journey, context):
        # date - N <= today <= date  <=>  today <= date <= today + N
        today = context.clock(journey).today
        trigger = relation(
            "entry_trigger_approaching_date",
            journey_id=journey.id,
            field_date=self.field_date(context),
            first_day=date_literal(today),
            last_day=date_literal(today + timedelta(days=int(self.days_before))),
            entry_filter=self.entry_filter(journey, context),
        )
        return {"entry_triggers": [trigger]}


@dataclass(frozen=True, kw_only=True)
class AnniversaryEntry(_DateFieldEntry):
    """`when: anniversary`: the field's month and day at `at`, every year after its own."""

    at: str = "00:00"
    WHEN: ClassVar[str] = "anniversary"
    KEYS: ClassVar[tuple[str, ...]] = ("field", "at")

    @classmethod
    def read(cls, reader, node, entry_filter):
        return cls(
            filter=entry_filter,
            field=reader.text(node, "field", "entry"),
            at=reader.clock(node, "at", "entry") or "00:00",
        )

    def body(self):
        return {"field": self.field, "at": self.at}

    def window_shape(self, journey, context):
        """The days whose anniversaries fall in the window."""
        return tuple(
            schedule.anniversary_dates(
                context.window_start,
                context.window_end,
                journey.timezone,
                schedule.parse_clock(self.at),
            )
        )

    def relations(self, journey, context):
        days = self.window_shape(journey, context)
        if not days:
            return {}
        field_date = self.field_date(context)
        falls_on = any_of([_falls_on(field_date, day) for day in days])
        condition = all_of([falls_on, self.entry_filter(journey, context)])
        return {
            "entry_triggers": [
                relation("entry_trigger", journey_id=journey.id, condition=condition)
            ]
        }


@dataclass(frozen=True, kw_only=True)
class RecurringEntry(EntryKind):
    """`when: recurring`: at each instant of the schedule, every organization that matches."""

    every: str | None = None
    on: tuple[str, ...] = ()
    day: int | None = None
    at: str = "00:00"
    WHEN: ClassVar[str] = "recurring"
    KEYS: ClassVar[tuple[str, ...]] = ("every", "on", "day", "at")

    @classmethod
    def read(cls, reader, node, entry_filter):
        every = reader.choice(node, "every", ("day", "week", "month"), "day")
        if "every" not in node:
            reader.error(reader.line_of(node), "entry: 'every' is required (day, week or month)")
        on = reader.weekdays(node, "on", "entry")
        if every == "week" and not on:
            reader.error(reader.line_of(node), "entry.on: weekdays are required for every: week")
        if on and every != "week":
            reader.error(reader.line_of(node, "on"), f"entry.on: only for every: week, not {every}")
        day = reader.number(node, "day", "entry", integer=True)
        if every == "month" and node.get("day") is None:  # a wrong day is reported
            reader.error(
                reader.line_of(node), "entry.day: a day 1..31 is required for every: month"
            )
        if "day" in node and every != "month":
            reader.error(
                reader.line_of(node, "day"), f"entry.day: only for every: month, not {every}"
            )
        at = reader.clock(node, "at", "entry") or "00:00"
        return cls(filter=entry_filter, every=every, on=on, day=day, at=at)

    def body(self):
        body: dict[str, Any] = {"every": self.every}
        if self.on:
            body["on"] = list(self.on)
        if self.day is not None:
            body["day"] = self.day
        body["at"] = self.at
        return body

    def window_shape(self, journey, context):
        """Whether the schedule fires in the window."""
        return bool(
            schedule.recurring_fires(
                context.window_start,
                context.window_end,
                journey.timezone,
                self.every,
                schedule.parse_clock(self.at),
                tuple(self.on),
                self.day,
            )
        )

    def relations(self, journey, context):
        if not self.window_shape(journey, context):
            return {}
        condition = self.entry_filter(journey, context)
        return {
            "entry_triggers": [
                relation("entry_trigger", journey_id=journey.id, condition=condition)
            ]
        }


def _falls_on(field_date: exp.Expression, day: date) -> exp.Expression:
    """The field's month and day fall on `day`, in a year after its own (29 Feb -> 28 Feb)."""

    def part(name: str) -> exp.Expression:
        return exp.func(name, field_date.copy())

    same_day = all_of(
        [
            exp.EQ(this=part("month"), expression=exp.Literal.number(day.month)),
            exp.EQ(this=part("day"), expression=exp.Literal.number(day.day)),
        ]
    )
    if day.month == 2 and day.day == 28 and not schedule.is_leap(day.year):
        leap_day = all_of(
            [
                exp.EQ(this=part("month"), expression=exp.Literal.number(2)),
                exp.EQ(this=part("day"), expression=exp.Literal.number(29)),
            ]
        )
        same_day = any_of([same_day, leap_day])
    return all_of([same_day, exp.LT(this=part("year"), expression=exp.Literal.number(day.year))])


#: The entry kinds by `entry.when`.
ENTRY_KINDS: dict[str, type[EntryKind]] = {
    kind.WHEN: kind
    for kind in (
        FilterEntry,
        ActivityEntry,
        TagsEntry,
        ApproachingDateEntry,
        AnniversaryEntry,
        RecurringEntry,
    )
}
