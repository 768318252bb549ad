"""Members roll-ups: the SQL of `{members: {filter, min | all | min_percent}}` (SPEC section 3).

A roll-up counts, per organization, its members as of the run (memberships of contacts the
CRM has) and how many of them match a contact filter. Each distinct contact filter of a
window — the same filter compiled for the same clock, whichever journeys name it — is one
grouped pass over the memberships (`sql/compiled/member_rollup.sql`), a part of the window's
relation `member_rollups` that `sql/window/45_member_rollups.sql` materializes once. An
organization filter then reads its roll-up's row as a scalar subquery: an organization with
no members has no row, so it matches no roll-up.

Example:
    >>> contact = exp.column("is_admin", "c")
    >>> key = rollup_key(contact)
    >>> print(rollup_test(key, "o", least(2)).sql("duckdb"))  # doctest: +ELLIPSIS
    COALESCE((SELECT r.matching >= 2 FROM member_rollups AS r WHERE ...), FALSE)
    >>> print(percent_test(Fraction("33.3")).sql("duckdb"))
    r.matching * 1000 >= 333 * r.members
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlglot import exp

from orgjourney_pipeline.journeys.templates import relation

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.reader import NodeReader

ROLLUPS_TABLE = "member_rollups"  # the window's temporary table of every roll-up
_ROW = "r"


def rollup_key(contact_filter: exp.Expression) -> str:
    """The roll-up's key: a hash of its contact filter's SQL (literals and clock included)."""
    return hashlib.md5(contact_filter.sql("duckdb").encode()).hexdigest()[:16]


def rollup_pass(key: str, contact_filter: exp.Expression) -> exp.Query:
    """The grouped pass over the memberships that computes one roll-up."""
    return relation("member_rollup", rollup_key=key, contact_filter=contact_filter)


def rollup_test(key: str, org_row: str, test: exp.Expression) -> exp.Expression:
    """`test` over the organization's roll-up row; false where it has none (no members)."""
    row = exp.select(test).from_(exp.table_(ROLLUPS_TABLE).as_(_ROW), copy=False)
    row = row.where(
        exp.and_(
            exp.EQ(this=exp.column("rollup_key", _ROW), expression=exp.Literal.string(key)),
            exp.EQ(this=exp.column("org_id", _ROW), expression=exp.column("org_id", org_row)),
            copy=False,
        ),
        copy=False,
    )
    return exp.Coalesce(this=exp.Subquery(this=row), expressions=[exp.false()])


def least(count: int) -> exp.Expression:
    """At least `count` members match."""
    return exp.GTE(this=_matching(), expression=exp.Literal.number(int(count)))


def every() -> exp.Expression:
    """Every member matches (a row exists only for an organization with members)."""
    return exp.EQ(this=_matching(), expression=exp.column("members", _ROW))


def percent_test(percent: Fraction) -> exp.Expression:
    """matching × 100 ≥ P × members, exactly: in whole numbers, P as a fraction a/b."""
    return exp.GTE(
        this=exp.Mul(this=_matching(), expression=exp.Literal.number(100 * percent.denominator)),
        expression=exp.Mul(
            this=exp.Literal.number(percent.numerator), expression=exp.column("members", _ROW)
        ),
    )


def read_percent(reader: NodeReader, body: Mapping, where: str, line: int) -> Fraction | None:
    """`min_percent` as an exact fraction (0..100, at most 4 decimal places)."""
    value = reader.number(body, "min_percent", where)
    if value is None:
        return None
    exact = Decimal(str(value))
    if exact.as_tuple().exponent < -4:
        reader.error(
            reader.line_of(body, "min_percent", line),
            f"{where}.min_percent: at most 4 decimal places (got {value})",
        )
        return None
    return Fraction(exact)


def _matching() -> exp.Column:
    return exp.column("matching", _ROW)
