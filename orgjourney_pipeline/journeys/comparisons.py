"""The operators of a field condition: one class each, with its value, SQL and misuse.

`{field: F, op: OP, value: V}` compares one field of an organization or a contact. An
operator knows what value it takes (one value, a list, a number of days, none), the two-valued
SQL it compiles to for each field type (text ignores case; `ne` and `not_in` match an empty
field, the others don't; list fields — tags — compare by membership), and what is wrong with
applying it to a field of a given type. `OPERATORS` is the registry.

Example:
    >>> OPERATORS["ne"].misuse("seats", "number", "many")
    ["value 'many' is not a number (the type of 'seats')"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys.canonical import as_text
from orgjourney_pipeline.journeys.problems import near
from orgjourney_pipeline.journeys.sqlexpr import (
    Clock,
    combine,
    date_literal,
    naive_utc,
    timestamp,
    two_valued,
)

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.reader import NodeReader

INVALID = object()  # a value that was reported as wrong

# The syntax of numbers and instants a journey may compare with, as the inputs accept them
# (SPEC section 1): ASCII digits only (Python's float() also reads '١٢'), RFC 3339 instants
# with `T`/`Z` in either case, offsets up to ±18:00, years 1 to 9999.
NUMBER_SYNTAX = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
DATE_SYNTAX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
INSTANT_SYNTAX = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?"
)
BOOL_WORDS = ("true", "false", "yes", "no", "1", "0")
MAX_OFFSET = timedelta(hours=18)


def parse_instant_value(text: str) -> datetime | None:
    """An instant written as the contract allows, as naive UTC; None if it is not one."""
    match = INSTANT_SYNTAX.fullmatch(text.strip())
    if not match:
        return None
    try:
        day = date.fromisoformat(match["date"])
        clock = match["time"] or "00:00"
        local = datetime.combine(day, datetime.strptime(clock, _clock_format(clock)).time())
        offset = match["offset"]
        if offset in (None, "Z", "z"):
            return local
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if shift > MAX_OFFSET:
            return None
        return naive_utc(local.replace(tzinfo=timezone(sign * shift)))
    except (ValueError, OverflowError):
        return None  # no such day, or the offset takes it out of years 1..9999


def _clock_format(text: str) -> str:
    if text.count(":") == 1:
        return "%H:%M"
    return "%H:%M:%S.%f" if "." in text else "%H:%M:%S"


def fits(value: Any, field_type: str) -> bool:
    """Whether a filter value can be compared with a field of this type."""
    if isinstance(value, Mapping | list | tuple):
        return False
    text = as_text(value)
    if field_type == "number":
        return not isinstance(value, bool) and bool(NUMBER_SYNTAX.fullmatch(text))
    if field_type == "date":
        try:
            date.fromisoformat(text[:10])
        except ValueError:
            return False
        return bool(DATE_SYNTAX.match(text)) and parse_instant_value(text) is not None
    if field_type == "timestamp":
        return parse_instant_value(text) is not None
    if field_type == "bool":
        return text.lower() in BOOL_WORDS
    return True


def has_tag(column: exp.Expression, tag: object) -> exp.Expression:
    """Membership of a tag in a list column (tags are lower-cased, so tags ignore case)."""
    return exp.func("list_contains", column, exp.Literal.string(as_text(tag).lower()))


def comparable(
    column: exp.Expression, field_type: str, value: object
) -> tuple[exp.Expression, exp.Expression]:
    """The column and the value in a form they compare in: text ignores case."""
    if field_type == "number":
        return column, exp.cast(exp.Literal.string(as_text(value)), exp.DataType.Type.DOUBLE)
    if field_type == "date":  # a timestamp written for a date field compares by its date
        text = as_text(value)
        day = text[:10] if DATE_SYNTAX.match(text) else text
        return column, exp.cast(exp.Literal.string(day), exp.DataType.Type.DATE)
    if field_type == "timestamp":
        moment = parse_instant_value(as_text(value))
        if moment is None:  # compared text: validation names the value (`fits`)
            return column, exp.cast(exp.Literal.string(as_text(value)), exp.DataType.Type.TIMESTAMP)
        return column, timestamp(moment)
    if field_type == "bool":
        return column, exp.Boolean(this=as_text(value).lower() in ("true", "yes", "1"))
    return exp.Lower(this=exp.cast(column, exp.DataType.Type.VARCHAR)), exp.Literal.string(
        as_text(value).lower()
    )


def _is_null(column: exp.Expression) -> exp.Expression:
    return exp.Is(this=column.copy(), expression=exp.Null())


class Operator:
    """An operator of field conditions."""

    NAME: ClassVar[str]

    def read_value(self, reader: NodeReader, node: Mapping, where: str, line: int, value: Any):
        """The condition's value (plain data), or INVALID with the problem reported."""
        if "value" not in node or value is None:
            reader.error(
                reader.line_of(node, "op", line), f"{where}: op '{self.NAME}' needs a `value`"
            )
            return INVALID
        if isinstance(value, Mapping | list):
            reader.error(reader.line_of(node, "value"), f"{where}.value: expected a single value")
            return INVALID
        return value

    def predicate(
        self, column: exp.Expression, field_type: str, value: Any, clock: Clock
    ) -> exp.Expression:
        raise NotImplementedError

    def misuse(self, name: str, field_type: str, value: Any) -> list[str]:
        """What is wrong with applying this operator to a field of this type ([]: nothing)."""
        if field_type == "list":
            return (
                []
                if self.applies_to_lists
                else [f"'{self.NAME}' does not apply to the list field '{name}'"]
            )
        values = value if isinstance(value, tuple) else (value,)
        return [
            f"value '{item}' is not a {field_type} (the type of '{name}')"
            for item in values
            if not fits(item, field_type)
        ]

    applies_to_lists: ClassVar[bool] = False


class _Ordering(Operator):
    """eq, lt, lte, gt, gte: a comparison of the field with one value."""

    SQL: ClassVar[type[exp.Binary]]

    def predicate(self, column, field_type, value, clock):
        if field_type == "list":
            return two_valued(has_tag(column, value))
        subject, literal = comparable(column, field_type, value)
        return two_valued(self.SQL(this=subject, expression=literal))


class Equal(_Ordering):
    NAME, SQL, applies_to_lists = "eq", exp.EQ, True


class Less(_Ordering):
    NAME, SQL = "lt", exp.LT


class LessOrEqual(_Ordering):
    NAME, SQL = "lte", exp.LTE


class Greater(_Ordering):
    NAME, SQL = "gt", exp.GT


class GreaterOrEqual(_Ordering):
    NAME, SQL = "gte", exp.GTE


class NotEqual(Operator):
    """ne: an empty field is "not equal" to anything."""

    NAME, applies_to_lists = "ne", True

    def predicate(self, column, field_type, value, clock):
        if field_type == "list":
            return exp.not_(exp.paren(two_valued(has_tag(column, value))))
        subject, literal = comparable(column, field_type, value)
        return exp.or_(_is_null(column), two_valued(exp.NEQ(this=subject, expression=literal)))


class _Membership(Operator):
    """in, not_in: one of a list of values."""

    applies_to_lists = True

    def read_value(self, reader, node, where, line, value):
        if "value" not in node or value is None:
            return super().read_value(reader, node, where, line, value)
        if not isinstance(value, list) or not value:
            reader.error(
                reader.line_of(node, "value"), f"{where}.value: '{self.NAME}' needs a list"
            )
            return INVALID
        return tuple(value)

    def matched(self, column, field_type, value) -> exp.Expression:
        if field_type == "list":
            return combine([two_valued(has_tag(column.copy(), v)) for v in value], exp.or_, False)
        subject = comparable(column, field_type, None)[0]
        options = [comparable(column, field_type, item)[1] for item in value]
        return two_valued(exp.In(this=subject, expressions=options))


class In(_Membership):
    NAME = "in"

    def predicate(self, column, field_type, value, clock):
        return self.matched(column, field_type, value)


class NotIn(_Membership):
    NAME = "not_in"

    def predicate(self, column, field_type, value, clock):
        missed = exp.not_(exp.paren(self.matched(column, field_type, value)))
        return missed if field_type == "list" else exp.or_(_is_null(column), missed)


class _TextMatch(Operator):
    """contains, starts_with: any field compares as its text."""

    def predicate(self, column, field_type, value, clock):
        if field_type == "list":  # contains on a list: membership
            return two_valued(has_tag(column, value))
        subject, literal = comparable(column, "text", value)
        return two_valued(exp.func(self.NAME, subject, literal))

    def misuse(self, name, field_type, value):
        if field_type == "text":
            return []
        if field_type == "list":  # contains applies to lists (membership), starts_with not
            return super().misuse(name, field_type, value)
        return [f"'{self.NAME}' needs a text field; '{name}' is {field_type}"]


class Contains(_TextMatch):
    NAME, applies_to_lists = "contains", True


class StartsWith(_TextMatch):
    NAME = "starts_with"


class _Presence(Operator):
    """is_set, is_not_set: take no value; an empty text or list is not set."""

    applies_to_lists = True

    def read_value(self, reader, node, where, line, value):
        return None

    def misuse(self, name, field_type, value):
        return []

    @staticmethod
    def is_set(column: exp.Expression, field_type: str) -> exp.Expression:
        present = exp.not_(_is_null(column))
        if field_type == "list":
            size = exp.GT(this=exp.func("array_length", column), expression=exp.Literal.number(0))
            return exp.and_(present, size)
        if field_type == "text":
            return exp.and_(present, exp.NEQ(this=column, expression=exp.Literal.string("")))
        return present


class IsSet(_Presence):
    NAME = "is_set"

    def predicate(self, column, field_type, value, clock):
        return self.is_set(column, field_type)


class IsNotSet(_Presence):
    NAME = "is_not_set"

    def predicate(self, column, field_type, value, clock):
        return exp.not_(exp.paren(self.is_set(column, field_type)))


class _Within(Operator):
    """within_last_days, within_next_days: a date or timestamp within V days of the run."""

    PAST: ClassVar[bool]

    def read_value(self, reader, node, where, line, value):
        if "value" not in node or value is None:
            return super().read_value(reader, node, where, line, value)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            reader.error(
                reader.line_of(node, "value"),
                f"{where}.value: '{self.NAME}' needs a number of days",
            )
            return INVALID
        if not reader.in_bounds(node, "value", f"{where}.value", value, bounds="within_days"):
            return INVALID
        return value

    def misuse(self, name, field_type, value):
        if field_type not in ("date", "timestamp"):
            return [f"'{self.NAME}' needs a date or timestamp field; '{name}' is {field_type}"]
        return []

    def predicate(self, column, field_type, value, clock):
        span = timedelta(days=float(value))
        if field_type == "date":
            today = clock.today
            low, high = (today - span, today) if self.PAST else (today, today + span)
            bounds = (date_literal(low), date_literal(high))
        else:
            now = naive_utc(clock.window_end)
            low, high = (now - span, now) if self.PAST else (now, now + span)
            bounds = (timestamp(low), timestamp(high))
        return two_valued(exp.Between(this=column, low=bounds[0], high=bounds[1]))


class WithinLastDays(_Within):
    NAME, PAST = "within_last_days", True


class WithinNextDays(_Within):
    NAME, PAST = "within_next_days", False


#: The operators by name, in the order the contract lists them.
OPERATORS: dict[str, Operator] = {
    op.NAME: op
    for op in (
        Equal(),
        NotEqual(),
        Less(),
        LessOrEqual(),
        Greater(),
        GreaterOrEqual(),
        In(),
        NotIn(),
        Contains(),
        StartsWith(),
        IsSet(),
        IsNotSet(),
        WithinLastDays(),
        WithinNextDays(),
    )
}
OPS = tuple(OPERATORS)


def op_hint(op: str) -> str:
    """A did-you-mean for a misspelt operator, also for words users write (`equals`)."""
    aliases = {
        "equals": "eq",
        "equal": "eq",
        "not_equals": "ne",
        "in_list": "in",
        "exists": "is_set",
    }
    if op in aliases:
        return f" (did you mean '{aliases[op]}'?)"
    return near(op, OPS)
