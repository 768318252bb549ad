"""Small sqlglot builders shared by the kinds' SQL: literals, AND/OR, columns, time.

The kinds build their predicates from fresh nodes, each placed once, so these builders do
not copy them (sqlglot's builders copy by default, which was most of a window's Python time).
A node used twice in one query is copied where it is used.

Example:
    >>> all_of([equal("a", "org_id", "o", "org_id"), exp.column("is_trigger", "a")]).sql()
    '(a.org_id = o.org_id) AND (a.is_trigger)'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlglot import exp

from orgjourney_pipeline.journeys.canonical import as_text
from orgjourney_pipeline.journeys.schedule import local_today


@dataclass(frozen=True)
class WindowValue:
    """A value of whatever window a relation is bound to, where the relation is compiled
    once for every window (`journeys.kept`): the window end, the local date of it in a time
    zone, or the load sequence, and what arithmetic the compiler did on it, in order.

    In a relation it is a token (`window_token`), bound to a window's literal by the same
    builders (`timestamp`, `date_literal`, `number`) and the same arithmetic as a window's own
    values would have been; it supports nothing else, so a rule that needs more of the window
    cannot use it by mistake.
    """

    base: str  # "window_end" | "today" | "load_seq"
    timezone: str | None = None  # the zone of "today"
    steps: tuple[tuple[str, timedelta | None], ...] = ()  # ("+" | "-" | "naive_utc", span)

    def __add__(self, span: timedelta) -> WindowValue:
        return replace(self, steps=(*self.steps, ("+", span)))

    def __sub__(self, span: timedelta) -> WindowValue:
        return replace(self, steps=(*self.steps, ("-", span)))

    def value(self, window_end: datetime, load_seq: int) -> datetime | date | int:
        """The value in the window ending at `window_end` with `load_seq` loaded."""
        if self.base == "window_end":
            value: Any = window_end
        elif self.base == "today":
            value = local_today(window_end, str(self.timezone))
        else:
            value = load_seq
        for operation, span in self.steps:
            if operation == "+":
                value = value + span
            elif operation == "-":
                value = value - span
            else:
                value = naive_utc(value)
        return value


@dataclass(frozen=True)
class Clock:
    """What "now" means for one journey in one window: its values, or `WindowValue`s."""

    window_end: datetime | WindowValue  # the run's instant (UTC)
    today: date | WindowValue  # the local date of the window end in the journey's time zone
    load_seq: int | WindowValue  # events loaded up to this file are visible


# A window value's token, by name: the value and the builder that renders it.
WINDOW_TOKENS: dict[str, tuple[WindowValue, str]] = {}
WINDOW_TOKEN_PREFIX = "oj_window_"


def window_token(value: WindowValue, kind: str) -> exp.Placeholder:
    """The placeholder a relation compiled for every window has where `value` goes, rendered
    by `kind` ("timestamp", "date", "number"); the same value and kind, the same name."""
    digest = hashlib.blake2b(repr((value, kind)).encode(), digest_size=8).hexdigest()
    name = WINDOW_TOKEN_PREFIX + digest
    WINDOW_TOKENS.setdefault(name, (value, kind))
    return exp.Placeholder(this=name)


def window_literal(name: str, window_end: datetime, load_seq: int) -> exp.Expression:
    """The literal a window value's token stands for in one window."""
    value, kind = WINDOW_TOKENS[name]
    concrete = value.value(window_end, load_seq)
    return {"timestamp": timestamp, "date": date_literal, "number": number}[kind](concrete)


@dataclass(frozen=True)
class FilterScope:
    """What a filter is evaluated over: the subject's row alias, field types, the clock."""

    subject: str  # "org" | "contact"
    row: str  # alias of the subject row: "o" or "c"
    field_types: Mapping[str, str]
    clock: Clock
    enrollment: str | None = None  # alias of the enrollment row, for `since: entry`
    contact_fields: Mapping[str, str] | None = None  # of the contact filters of `members`


def two_valued(condition: exp.Expression) -> exp.Expression:
    """A condition that is false, not null, where its inputs are empty."""
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def combine(parts: list[exp.Expression], join, empty: bool) -> exp.Expression:
    """Fresh parts joined by AND or OR (`empty`: the value of none); not copied.

    The tree is balanced, so its depth grows with the logarithm of the parts: sqlglot and
    DuckDB walk expressions recursively, and a chain of a hundred ORs would be a hundred deep.
    """
    if not parts:
        return exp.true() if empty else exp.false()
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    left, right = combine(parts[:middle], join, empty), combine(parts[middle:], join, empty)
    return join(exp.paren(left, copy=False), exp.paren(right, copy=False), copy=False)


def all_of(parts: list[exp.Expression | None]) -> exp.Expression:
    """`(p1) AND (p2) ..` of the parts given (true for none)."""
    present = [part for part in parts if part is not None]
    if not present:
        return exp.true()
    return exp.and_(*[exp.paren(part, copy=False) for part in present], copy=False)


def any_of(parts: list[exp.Expression]) -> exp.Expression:
    """`(p1) OR (p2) ..` (false for none)."""
    if not parts:
        return exp.false()
    return exp.or_(*[exp.paren(part, copy=False) for part in parts], copy=False)


def equal(left: str, left_column: str, right: str, right_column: str) -> exp.EQ:
    """`left.left_column = right.right_column`, built (a join's ON without parsing text)."""
    return exp.EQ(this=exp.column(left_column, left), expression=exp.column(right_column, right))


def equals_literal(alias: str, column: str, value: object) -> exp.EQ:
    """`alias.column = <literal>` (a string or a number)."""
    literal = (
        exp.Literal.number(value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else exp.Literal.string(str(value))
    )
    return exp.EQ(this=exp.column(column, alias), expression=literal)


def field_column(name: str, alias: str) -> exp.Column:
    """A field of the subject row, quoted (a field name is data, not SQL)."""
    return exp.column(exp.to_identifier(name, quoted=True), alias)


def naive_utc(value: datetime | WindowValue) -> datetime | WindowValue:
    """An instant as a naive UTC datetime (how the warehouse stores instants)."""
    if isinstance(value, WindowValue):
        return replace(value, steps=(*value.steps, ("naive_utc", None)))
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def timestamp(value: datetime | WindowValue) -> exp.Expression:
    """An instant as a naive UTC timestamp literal."""
    if isinstance(value, WindowValue):
        return window_token(value, "timestamp")
    return exp.cast(
        exp.Literal.string(naive_utc(value).isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP
    )


def date_literal(day: date | WindowValue) -> exp.Expression:
    """A date literal."""
    if isinstance(day, WindowValue):
        return window_token(day, "date")
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def number(value: int | WindowValue) -> exp.Expression:
    """A number literal."""
    if isinstance(value, WindowValue):
        return window_token(value, "number")
    return exp.Literal.number(value)


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
            expression=exp.Literal.string(as_text(value)),
        )
        for key, value in sorted(where.items())
    ]
    return combine(matches, exp.and_, True)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_path(key: str) -> str:
    """The JSON path of a top-level key: `$.key`, or `$."a.b"` for any other name."""
    if _PLAIN_KEY.fullmatch(key):
        return f"$.{key}"
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
