"""The filter grammar compiled to SQL: organization and contact filters -> sqlglot expressions.

A filter compiles to a boolean expression over one row — an organization (`o`, a row of
`organizations_at`) or a contact (`c`, a row of `contacts_at`) — and, for `since: entry`,
the enrollment (`e`, with `entered_at`). Every value becomes a literal built by sqlglot, so
a value full of quotes and semicolons is just a value. Each leaf is two-valued (an empty
field makes a comparison false, not null), so `not` and `ne` behave as users expect.

Example:
    >>> from orgjourney_pipeline.journeys.model import FieldCondition
    >>> clock = Clock(window_end=datetime(2026, 1, 5, 10), today=date(2026, 1, 5), load_seq=3)
    >>> scope = FilterScope("org", "o", {"tier": "text"}, clock)
    >>> print(compile_filter(FieldCondition(field="tier", op="eq", value="Gold"), scope).sql())
    COALESCE(LOWER(CAST(o."tier" AS VARCHAR)) = 'gold', FALSE)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlglot import exp

from orgjourney_pipeline.journeys import model


@dataclass(frozen=True)
class Clock:
    """What "now" means for one journey in one window."""

    window_end: datetime  # the run's instant (UTC)
    today: date  # the local date of the window end in the journey's time zone
    load_seq: int  # events loaded up to this file are visible


@dataclass(frozen=True)
class FilterScope:
    """What a filter is evaluated over: the subject's row alias, field types, the clock."""

    subject: str  # "org" | "contact"
    row: str  # alias of the subject row: "o" or "c"
    field_types: dict[str, str]
    clock: Clock
    enrollment: str | None = None  # alias of the enrollment row, for `since: entry`


def compile_filter(node: model.Filter | None, scope: FilterScope) -> exp.Expression:
    """A filter node -> a boolean sqlglot expression (true when there is no filter)."""
    if node is None:
        return exp.true()
    if isinstance(node, model.AllOf):
        return _combine([compile_filter(item, scope) for item in node.items], exp.and_, True)
    if isinstance(node, model.AnyOf):
        return _combine([compile_filter(item, scope) for item in node.items], exp.or_, False)
    if isinstance(node, model.Not):
        return exp.not_(exp.paren(compile_filter(node.item, scope), copy=False), copy=False)
    if isinstance(node, model.TagCondition):
        return _two_valued(_has_tag(exp.column("tags", scope.row), node.tag))
    if isinstance(node, model.ActivityCondition):
        return _activity_condition(node, scope)
    if isinstance(node, model.FieldCondition):
        return _field_condition(node, scope)
    raise TypeError(f"not a filter node: {node!r}")


def where_properties(where: Mapping[str, object], properties: exp.Expression) -> exp.Expression:
    """`where: {property: value}` over an activity's JSON `properties`: every pair matches.

    A property is a top-level key of the JSON object, even when its name has a dot or a
    space; its value is compared as JSON text (`true`, `5`, `gold`).
    """
    matches = [
        exp.EQ(
            this=exp.func(
                "json_extract_string", properties.copy(), exp.Literal.string(_json_path(key))
            ),
            expression=exp.Literal.string(_text(value)),
        )
        for key, value in sorted(where.items())
    ]
    return _combine(matches, exp.and_, True)


# -- leaves -----------------------------------------------------------------------------------


def _field_condition(node: model.FieldCondition, scope: FilterScope) -> exp.Expression:
    field_type = scope.field_types.get(node.field, "text")
    column = exp.column(exp.to_identifier(node.field, quoted=True), scope.row)
    op, value = node.op, node.value
    if op == "is_set":
        return _is_set(column, field_type)
    if op == "is_not_set":
        return exp.not_(exp.paren(_is_set(column, field_type)))
    if op in ("within_last_days", "within_next_days"):
        return _two_valued(_within_days(column, field_type, op, value, scope.clock))
    if field_type == "list":
        return _list_condition(column, op, value)
    if op in ("contains", "starts_with"):  # text operators: any field compares as its text
        subject, literal = _comparable(column, "text", value)
        return _two_valued(exp.func(op, subject, literal))
    if op in ("in", "not_in"):
        subject = _comparable(column, field_type, None)[0]
        options = [_comparable(column, field_type, item)[1] for item in value]
        matched = _two_valued(exp.In(this=subject, expressions=options))
        if op == "in":
            return matched
        return exp.or_(exp.Is(this=column, expression=exp.Null()), exp.not_(exp.paren(matched)))
    subject, literal = _comparable(column, field_type, value)
    comparison = {
        "eq": exp.EQ,
        "ne": exp.NEQ,
        "lt": exp.LT,
        "lte": exp.LTE,
        "gt": exp.GT,
        "gte": exp.GTE,
    }[op](this=subject, expression=literal)
    if op == "ne":  # an empty field is "not equal" to anything
        return exp.or_(exp.Is(this=column, expression=exp.Null()), _two_valued(comparison))
    return _two_valued(comparison)


def _comparable(
    column: exp.Expression, field_type: str, value: object
) -> tuple[exp.Expression, exp.Expression]:
    """The column and the value in a form they compare in: text ignores case."""
    if field_type == "number":
        return column, exp.cast(exp.Literal.string(_text(value)), exp.DataType.Type.DOUBLE)
    if field_type == "date":  # a timestamp written for a date field compares by its date
        text = _text(value)
        day = text[:10] if _DATE_PREFIX.match(text) else text
        return column, exp.cast(exp.Literal.string(day), exp.DataType.Type.DATE)
    if field_type == "timestamp":
        return column, _timestamp_literal(value)
    if field_type == "bool":
        return column, exp.Boolean(this=_text(value).lower() in ("true", "yes", "1"))
    return exp.Lower(this=exp.cast(column, exp.DataType.Type.VARCHAR)), exp.Literal.string(
        _text(value).lower()
    )


def _list_condition(column: exp.Expression, op: str, value: object) -> exp.Expression:
    """Operators on a list field (tags): membership, ignoring case."""
    if op in ("eq", "contains"):
        return _two_valued(_has_tag(column, value))
    if op == "ne":
        return exp.not_(exp.paren(_two_valued(_has_tag(column, value))))
    if op == "in":
        return _combine(
            [_two_valued(_has_tag(column.copy(), item)) for item in value], exp.or_, False
        )
    if op == "not_in":
        hits = _combine(
            [_two_valued(_has_tag(column.copy(), item)) for item in value], exp.or_, False
        )
        return exp.not_(exp.paren(hits))
    raise ValueError(f"operator {op!r} does not apply to a list field")


def _has_tag(column: exp.Expression, tag: object) -> exp.Expression:
    # Tags in `organizations_at` and `contacts_at` are lower-cased, so tags ignore case too.
    return exp.func("list_contains", column, exp.Literal.string(_text(tag).lower()))


def _is_set(column: exp.Expression, field_type: str) -> exp.Expression:
    present = exp.not_(exp.Is(this=column, expression=exp.Null()))
    if field_type == "list":
        return exp.and_(
            present, exp.GT(this=exp.func("array_length", column), expression=exp.Literal.number(0))
        )
    if field_type == "text":
        return exp.and_(present, exp.NEQ(this=column, expression=exp.Literal.string("")))
    return present


def _within_days(
    column: exp.Expression, field_type: str, op: str, days: object, clock: Clock
) -> exp.Expression:
    span = timedelta(days=float(days))
    if field_type == "date":
        low, high = (
            (clock.today - span, clock.today)
            if op == "within_last_days"
            else (
                clock.today,
                clock.today + span,
            )
        )
        kind = exp.DataType.Type.DATE
        bounds = (low.isoformat(), high.isoformat())
    else:
        now = _naive_utc(clock.window_end)
        low, high = (now - span, now) if op == "within_last_days" else (now, now + span)
        kind = exp.DataType.Type.TIMESTAMP
        bounds = (low.isoformat(sep=" "), high.isoformat(sep=" "))
    return exp.Between(
        this=column,
        low=exp.cast(exp.Literal.string(bounds[0]), kind),
        high=exp.cast(exp.Literal.string(bounds[1]), kind),
    )


def _activity_condition(node: model.ActivityCondition, scope: FilterScope) -> exp.Expression:
    """Count the subject's activities of a type (an organization's: any of its contacts')."""
    clock = scope.clock
    type_match = exp.EQ(
        this=exp.column("activity_type", "a"), expression=exp.Literal.string(node.activity)
    )
    needs_events = node.within_days is not None or node.since == "entry" or bool(node.where)
    if needs_events:
        source = exp.select(exp.Count(this=exp.Star())).from_(
            exp.table_("activities").as_("a"), copy=False
        )
        conditions = [
            type_match,
            exp.LT(this=exp.column("occurred_at", "a"), expression=_timestamp(clock.window_end)),
            exp.LTE(
                this=exp.column("load_seq", "a"), expression=exp.Literal.number(clock.load_seq)
            ),
        ]
        if node.within_days is not None:
            since = clock.window_end - timedelta(days=float(node.within_days))
            conditions.append(
                exp.GTE(this=exp.column("occurred_at", "a"), expression=_timestamp(since))
            )
        if node.since == "entry":
            if scope.enrollment is None:
                raise ValueError("'since: entry' is only meaningful inside steps and exit")
            conditions.append(
                exp.GT(
                    this=exp.column("occurred_at", "a"),
                    expression=exp.column("entered_at", scope.enrollment),
                )
            )
        if node.where:
            conditions.append(where_properties(node.where, exp.column("properties", "a")))
    else:
        source = exp.select(exp.Sum(this=exp.column("events", "a"))).from_(
            exp.table_("contact_activity_parts").as_("a"), copy=False
        )
        conditions = [type_match]
    if scope.subject == "org":
        source = source.join(
            exp.table_("memberships_at").as_("m"),
            on=exp.EQ(this=exp.column("contact_id", "m"), expression=exp.column("contact_id", "a")),
            copy=False,
        )
        owner = exp.EQ(this=exp.column("org_id", "m"), expression=exp.column("org_id", scope.row))
    else:
        owner = exp.EQ(
            this=exp.column("contact_id", "a"), expression=exp.column("contact_id", scope.row)
        )
    counted = source.where(_combine([owner, *conditions], exp.and_, True), copy=False)
    count = exp.Coalesce(this=exp.Subquery(this=counted), expressions=[exp.Literal.number(0)])
    return exp.GTE(this=count, expression=exp.Literal.number(int(node.min_count)))


# -- helpers ----------------------------------------------------------------------------------


def _two_valued(condition: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def _combine(parts: list[exp.Expression], join, empty: bool) -> exp.Expression:
    """Fresh parts joined by AND or OR; not copied, so no part may be placed twice."""
    if not parts:
        return exp.true() if empty else exp.false()
    combined = exp.paren(parts[0], copy=False) if len(parts) > 1 else parts[0]
    for part in parts[1:]:
        combined = join(combined, exp.paren(part, copy=False), copy=False)
    return combined


def _timestamp(value: datetime) -> exp.Expression:
    """An instant as a naive UTC timestamp literal (how the warehouse stores instants)."""
    return exp.cast(
        exp.Literal.string(_naive_utc(value).isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP
    )


def _timestamp_literal(value: object) -> exp.Expression:
    """A filter value for a timestamp field; an offset is honoured (DuckDB's cast drops it)."""
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return exp.cast(exp.Literal.string(text), exp.DataType.Type.TIMESTAMP)
    return _timestamp(moment)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_path(key: str) -> str:
    """The JSON path of a top-level key: `$.key`, or `$."a.b"` for any other name."""
    if _PLAIN_KEY.fullmatch(key):
        return f"$.{key}"
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
