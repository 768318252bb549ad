"""Filter nodes: one class per node of the filter grammar (SPEC section 3, Filters).

Each node knows how it is read (with its `file:line` problems), its canonical definition,
the problems of the fields it names, and its SQL: a boolean sqlglot expression over one row —
an organization (`o`, a row of `organizations_at`) or a contact (`c`, a row of `contacts_at`)
— and, for `since: entry`, the enrollment (`FilterScope.enrollment`, with `entered_at`).
Every value becomes a literal built by sqlglot, so a value full of quotes and semicolons is
just a value. Each leaf is two-valued (an empty field makes a comparison false, not null),
so `not` and `ne` behave as users expect. `FILTER_KINDS` is the registry: `read_filter`
asks each kind in turn whether a mapping is one of its.

Example:
    >>> from datetime import date, datetime
    >>> clock = Clock(window_end=datetime(2026, 1, 5, 10), today=date(2026, 1, 5), load_seq=3)
    >>> scope = FilterScope("org", "o", {"tier": "text"}, clock)
    >>> print(FieldCondition(field="tier", op="eq", value="Gold").predicate(scope).sql())
    COALESCE(LOWER(CAST(o."tier" AS VARCHAR)) = 'gold', FALSE)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys import comparisons, rollups
from orgjourney_pipeline.journeys.canonical import canonical, plain
from orgjourney_pipeline.journeys.model import known_field
from orgjourney_pipeline.journeys.problems import describe, hint
from orgjourney_pipeline.journeys.rollups import rollup_key
from orgjourney_pipeline.journeys.sqlexpr import (
    Clock,
    FilterScope,
    combine,
    field_column,
    number,
    timestamp,
    two_valued,
    where_properties,
)

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.fields import KnownFields
    from orgjourney_pipeline.journeys.reader import NodeReader

__all__ = ["Clock", "FilterScope", "FILTER_KINDS", "read_filter", "compile_filter"]

SUBJECT_NOUNS = {"org": "organization", "contact": "contact"}
# A filter's shape is bounded, so that every filter `validate` accepts compiles and runs.
MAX_FILTER_ITEMS = 100  # items of one `all` or `any`
MAX_FILTER_DEPTH = 16  # levels of `all`, `any` and `not` inside each other


@dataclass(frozen=True)
class FilterContext:
    """Where a filter is read: its subject, whether `since: entry` may be used there, and how
    deep inside combinations (`all`, `any`, `not`) the node being read is."""

    subject: str  # "org" | "contact"
    since_allowed: bool
    depth: int = 1

    def inside(self) -> FilterContext:
        """The context of a combination's items."""
        return replace(self, depth=self.depth + 1)


class FilterNode:
    """What every filter node can do; subclasses are frozen dataclasses."""

    line: int
    NEEDS_ACTIVITY_ENTRY: ClassVar[bool] = False  # `send_to: triggering_contacts` only

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        """Whether a filter mapping is this kind of node."""
        raise NotImplementedError

    @classmethod
    def read(
        cls, reader: NodeReader, node: Mapping, where: str, line: int, context: FilterContext
    ) -> FilterNode | None:
        """The node, or None with the problems reported."""
        raise NotImplementedError

    def definition(self) -> dict[str, Any]:
        """The node as the plain mapping a journey file would write for it."""
        raise NotImplementedError

    def predicate(self, scope: FilterScope) -> exp.Expression:
        """The node as a two-valued sqlglot condition over the scope's row."""
        raise NotImplementedError

    def children(self) -> tuple[FilterNode, ...]:
        return ()

    def leaves(self) -> Iterator[FilterNode]:
        """Every leaf condition, depth first."""
        if not self.children():
            yield self
        for child in self.children():
            yield from child.leaves()

    def field_problems(
        self, fields: KnownFields, subject: str, where: str
    ) -> list[tuple[int, str]]:
        """(line, message) for each unknown or misused field this node (or a child) names."""
        return [
            problem
            for child in self.children()
            for problem in child.field_problems(fields, subject, where)
        ]

    def rollup_passes(self, scope: FilterScope) -> dict[str, exp.Query]:
        """The members roll-ups this node (or a child) reads, by key: their grouped passes."""
        return {
            key: query
            for child in self.children()
            for key, query in child.rollup_passes(scope).items()
        }


def read_filter(
    reader: NodeReader, node: Any, where: str, line: int, context: FilterContext
) -> FilterNode | None:
    """A filter mapping as its node, or None with the problems reported."""
    if not isinstance(node, Mapping):
        reader.error(line, f"{where}: expected a filter mapping, got {describe(node)}")
        return None
    line = reader.line_of(node, default=line)
    if context.depth > MAX_FILTER_DEPTH:
        reader.error(
            line,
            f"{where}: filters nest at most {MAX_FILTER_DEPTH} levels deep (all, any and not "
            "inside each other); simplify this one",
        )
        return None
    for kind in FILTER_KINDS:
        if kind.is_written_as(node):
            return kind.read(reader, node, where, line, context)
    reader.error(
        line,
        f"{where}: a filter is {{field, op, value}}, {{tag}}, {{activity, ..}}, "
        "{members: ..}, {all: [..]}, {any: [..]} or {not: ..}",
    )
    return None


def compile_filter(node: FilterNode | None, scope: FilterScope) -> exp.Expression:
    """A filter as a boolean sqlglot expression (true when there is no filter)."""
    return exp.true() if node is None else node.predicate(scope)


# -- combinations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Combination(FilterNode):
    items: tuple[FilterNode, ...]
    _: KW_ONLY
    line: int = field(default=0, compare=False)
    KEY: ClassVar[str]
    JOIN: ClassVar[Any]
    EMPTY: ClassVar[bool]

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return len(node) == 1 and cls.KEY in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        items = node[cls.KEY]
        if not isinstance(items, list) or not items:
            reader.error(line, f"{where}.{cls.KEY}: expected a non-empty list of filters")
            return None
        if len(items) > MAX_FILTER_ITEMS:
            reader.error(
                line,
                f"{where}.{cls.KEY}: {len(items)} filters, more than the {MAX_FILTER_ITEMS} a "
                f"combination may hold (an `in` list compares one field with many values)",
            )
            return None
        inside = context.inside()
        parsed = [
            read_filter(
                reader, item, f"{where}.{cls.KEY}[{i}]", reader.line_of(items, i, line), inside
            )
            for i, item in enumerate(items)
        ]
        if any(item is None for item in parsed):
            return None
        return cls(items=tuple(parsed), line=line)

    def definition(self) -> dict[str, Any]:
        return {self.KEY: [item.definition() for item in self.items]}

    def predicate(self, scope: FilterScope) -> exp.Expression:
        return combine([item.predicate(scope) for item in self.items], self.JOIN, self.EMPTY)

    def children(self) -> tuple[FilterNode, ...]:
        return self.items


@dataclass(frozen=True)
class AllOf(_Combination):
    """`{all: [..]}`: every item matches."""

    KEY: ClassVar[str] = "all"
    JOIN: ClassVar[Any] = staticmethod(exp.and_)
    EMPTY: ClassVar[bool] = True


@dataclass(frozen=True)
class AnyOf(_Combination):
    """`{any: [..]}`: some item matches."""

    KEY: ClassVar[str] = "any"
    JOIN: ClassVar[Any] = staticmethod(exp.or_)
    EMPTY: ClassVar[bool] = False


@dataclass(frozen=True)
class Not(FilterNode):
    """`{not: ..}`: the item does not match."""

    item: FilterNode
    _: KW_ONLY
    line: int = field(default=0, compare=False)

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return len(node) == 1 and "not" in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        item = read_filter(
            reader, node["not"], f"{where}.not", reader.line_of(node, "not"), context.inside()
        )
        return None if item is None else cls(item=item, line=line)

    def definition(self) -> dict[str, Any]:
        return {"not": self.item.definition()}

    def predicate(self, scope: FilterScope) -> exp.Expression:
        return exp.not_(exp.paren(self.item.predicate(scope), copy=False), copy=False)

    def children(self) -> tuple[FilterNode, ...]:
        return (self.item,)


# -- leaves -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagCondition(FilterNode):
    """`{tag: T}`: the subject has the tag (tags ignore case)."""

    tag: str
    _: KW_ONLY
    line: int = field(default=0, compare=False)

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return "tag" in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        reader.known_keys(node, ("tag",), where)
        tag = node["tag"]
        if tag is None or isinstance(tag, Mapping | list | bool):
            reader.error(reader.line_of(node, "tag"), f"{where}.tag: expected a tag name")
            return None
        return cls(tag=str(tag), line=line)

    def definition(self) -> dict[str, Any]:
        return {"tag": self.tag}

    def predicate(self, scope: FilterScope) -> exp.Expression:
        return two_valued(comparisons.has_tag(exp.column("tags", scope.row), self.tag))


@dataclass(frozen=True)
class ActivityCondition(FilterNode):
    """`{activity: TYPE, min_count, within_days, since: entry, where}`: a count of activities.

    An organization's count is of any of its contacts' activities (members as of the run).
    """

    activity: str
    min_count: int = 1
    within_days: float | None = None
    since: str | None = None  # "entry"
    where: Mapping[str, Any] | None = None
    _: KW_ONLY
    line: int = field(default=0, compare=False)

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return "activity" in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        reader.known_keys(node, ("activity", "min_count", "within_days", "since", "where"), where)
        activity = reader.text(node, "activity", where)
        min_count = reader.number(node, "min_count", where, integer=True)
        within = reader.number(node, "within_days", where)
        since = node.get("since")
        if since is not None:
            if since != "entry":
                reader.error(
                    reader.line_of(node, "since"), f"{where}.since: only `entry` is supported"
                )
            elif not context.since_allowed:
                reader.error(
                    reader.line_of(node, "since"),
                    f"{where}.since: `since: entry` is only allowed inside steps and exit",
                )
        if activity is None:
            return None
        return cls(
            activity=activity,
            min_count=1 if min_count is None else min_count,
            within_days=within,
            since="entry" if since == "entry" else None,
            where=reader.where_map(node, "where", where),
            line=line,
        )

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"activity": self.activity, "min_count": self.min_count}
        if self.within_days is not None:
            definition["within_days"] = canonical(self.within_days)
        if self.since is not None:
            definition["since"] = self.since
        if self.where:
            definition["where"] = canonical(self.where)
        return definition

    def predicate(self, scope: FilterScope) -> exp.Expression:
        """Count the subject's activities of the type (an organization's: its contacts')."""
        clock = scope.clock
        type_match = exp.EQ(
            this=exp.column("activity_type", "a"), expression=exp.Literal.string(self.activity)
        )
        if self.within_days is not None or self.since == "entry" or self.where:
            source = exp.select(exp.Count(this=exp.Star())).from_(
                exp.table_("activities").as_("a"), copy=False
            )
            conditions = [type_match, *self._event_conditions(scope, clock)]
        else:  # the rollup holds every event's count
            source = exp.select(exp.Sum(this=exp.column("events", "a"))).from_(
                exp.table_("contact_activity_parts").as_("a"), copy=False
            )
            conditions = [type_match]
        if scope.subject == "org":
            source = source.join(
                exp.table_("memberships_at").as_("m"),
                on=exp.EQ(
                    this=exp.column("contact_id", "m"), expression=exp.column("contact_id", "a")
                ),
                copy=False,
            )
            owner = exp.EQ(
                this=exp.column("org_id", "m"), expression=exp.column("org_id", scope.row)
            )
        else:
            owner = exp.EQ(
                this=exp.column("contact_id", "a"), expression=exp.column("contact_id", scope.row)
            )
        counted = source.where(combine([owner, *conditions], exp.and_, True), copy=False)
        count = exp.Coalesce(this=exp.Subquery(this=counted), expressions=[exp.Literal.number(0)])
        return exp.GTE(this=count, expression=exp.Literal.number(int(self.min_count)))

    def _event_conditions(self, scope: FilterScope, clock: Clock) -> list[exp.Expression]:
        """The events that count: processed by the run, in the span, after entry, matching."""
        conditions: list[exp.Expression] = [
            exp.LT(this=exp.column("occurred_at", "a"), expression=timestamp(clock.window_end)),
            exp.LTE(this=exp.column("load_seq", "a"), expression=number(clock.load_seq)),
        ]
        if self.within_days is not None:
            since = clock.window_end - timedelta(days=float(self.within_days))
            conditions.append(
                exp.GTE(this=exp.column("occurred_at", "a"), expression=timestamp(since))
            )
        if self.since == "entry":
            if scope.enrollment is None:
                raise ValueError("'since: entry' is only meaningful inside steps and exit")
            conditions.append(
                exp.GT(
                    this=exp.column("occurred_at", "a"),
                    expression=exp.column("entered_at", scope.enrollment),
                )
            )
        if self.where:
            conditions.append(where_properties(self.where, exp.column("properties", "a")))
        return conditions


@dataclass(frozen=True)
class MembersCondition(FilterNode):
    """`{members: {filter, min: N | all: true | min_percent: P}}`: a roll-up over the
    organization's members as of the run (`rollups`): at least N match the contact filter,
    every one does, or at least P % do; an organization with no members matches none."""

    filter: FilterNode
    min: int | None = None  # None with neither `all` nor `min_percent`: at least 1
    all: bool = False
    min_percent: Fraction | None = None
    _: KW_ONLY
    line: int = field(default=0, compare=False)
    KEYS: ClassVar[tuple[str, ...]] = ("filter", "min", "all", "min_percent")

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return "members" in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        reader.known_keys(node, ("members",), where)
        where = f"{where}.members"
        body = reader.mapping(node["members"], where, reader.line_of(node, "members", line))
        if body is None:
            return None
        if context.subject != "org":
            reader.error(
                line, f"{where}: a roll-up is an organization filter; a contact has no members"
            )
            return None
        reader.known_keys(body, cls.KEYS, where)
        given = [key for key in ("min", "all", "min_percent") if key in body]
        if len(given) > 1:
            reader.error(
                reader.line_of(body, given[1], line),
                f"{where}: give one of min, all and min_percent, not {' and '.join(given)}",
            )
            return None
        least = reader.number(body, "min", where, integer=True)
        every = body.get("all", False)
        if every is not True and "all" in body:
            reader.error(reader.line_of(body, "all", line), f"{where}.all: expected true")
            return None
        percent = rollups.read_percent(reader, body, where, line)
        if "filter" not in body:
            reader.error(line, f"{where}: 'filter' (a contact filter) is required")
            return None
        contact = read_filter(
            reader,
            body["filter"],
            f"{where}.filter",
            reader.line_of(body, "filter", line),
            FilterContext("contact", since_allowed=False, depth=context.depth + 1),
        )
        if contact is None or (given and least is None and not every and percent is None):
            return None
        return cls(filter=contact, min=least, all=every, min_percent=percent, line=line)

    def definition(self) -> dict[str, Any]:
        body: dict[str, Any] = {"filter": self.filter.definition()}
        if self.all:
            body["all"] = True
        elif self.min_percent is not None:
            body["min_percent"] = canonical(float(self.min_percent))
        else:
            body["min"] = 1 if self.min is None else self.min
        return {"members": body}

    def predicate(self, scope: FilterScope) -> exp.Expression:
        key = rollup_key(self.filter.predicate(self._contact_scope(scope)))
        if self.all:
            test = rollups.every()
        elif self.min_percent is not None:
            test = rollups.percent_test(self.min_percent)
        else:
            test = rollups.least(1 if self.min is None else self.min)
        return rollups.rollup_test(key, scope.row, test)

    def rollup_passes(self, scope: FilterScope) -> dict[str, exp.Query]:
        contact_filter = self.filter.predicate(self._contact_scope(scope))
        key = rollup_key(contact_filter)
        return {key: rollups.rollup_pass(key, contact_filter)}

    def field_problems(self, fields, subject, where):
        return self.filter.field_problems(fields, "contact", where)

    @staticmethod
    def _contact_scope(scope: FilterScope) -> FilterScope:
        return FilterScope("contact", "c", scope.contact_fields or {}, scope.clock)


@dataclass(frozen=True)
class FieldCondition(FilterNode):
    """`{field: F, op: OP, value: V}`: a comparison of one field of the subject."""

    field: str
    op: str
    value: Any = None
    _: KW_ONLY
    line: int = field(default=0, compare=False)

    @classmethod
    def is_written_as(cls, node: Mapping) -> bool:
        return "field" in node

    @classmethod
    def read(cls, reader, node, where, line, context):
        reader.known_keys(node, ("field", "op", "value"), where)
        name = reader.text(node, "field", where)
        op = node.get("op")
        ops = comparisons.OPS
        if op is None:
            reader.error(line, f"{where}: 'op' is required (one of: {', '.join(ops)})")
            return None
        if op not in ops:
            reader.error(
                reader.line_of(node, "op", line),
                f"{where}.op: '{op}' is not one of: {', '.join(ops)}"
                + comparisons.op_hint(str(op)),
            )
            return None
        value = comparisons.OPERATORS[op].read_value(
            reader, node, where, line, plain(node.get("value"))
        )
        if value is comparisons.INVALID or name is None:
            return None
        return cls(field=name, op=op, value=value, line=reader.line_of(node, "field", line))

    def definition(self) -> dict[str, Any]:
        definition = {"field": self.field, "op": self.op}
        if self.op not in ("is_set", "is_not_set"):
            definition["value"] = canonical(self.value)
        return definition

    def predicate(self, scope: FilterScope) -> exp.Expression:
        name = known_field(self.field, scope.field_types) or self.field
        field_type = scope.field_types.get(name, "text")
        column = field_column(name, scope.row)
        return comparisons.OPERATORS[self.op].predicate(column, field_type, self.value, scope.clock)

    def field_problems(self, fields, subject, where):
        known = fields.types(subject)
        name = known_field(self.field, known)
        if name is None:
            if not fields.complete(subject):
                return []  # no warehouse yet: a name that is not built in cannot be judged
            noun = SUBJECT_NOUNS[subject]
            return [
                (
                    self.line,
                    f"{where}: unknown {noun} field '{self.field}'" + hint(self.field, known),
                )
            ]
        return [
            (self.line, f"{where}: {message}")
            for message in comparisons.OPERATORS[self.op].misuse(
                self.field, known[name], self.value
            )
        ]


#: The filter kinds, in the order `read_filter` asks them (combinations before leaves).
FILTER_KINDS: tuple[type[FilterNode], ...] = (
    AllOf,
    AnyOf,
    Not,
    TagCondition,
    ActivityCondition,
    MembersCondition,
    FieldCondition,
)


def read_filter_at(
    reader: NodeReader, node: Mapping, key: str, where: str, context: FilterContext
) -> FilterNode | None:
    """The filter at `node[key]`, if there is one."""
    if node.get(key) is None:
        return None
    return read_filter(reader, node[key], where, reader.line_of(node, key), context)
