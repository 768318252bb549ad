"""Who a send addresses: `send_to` (SPEC section 3, Recipients and unsubscribes).

A `send_to` is `everyone` (None: every member as of the run), `{filter: <contact filter>}`
(a filter node over the contact `c`), or `triggering_contacts` (`TriggeringContacts`: the
contacts whose activity made the organization enter, remembered per enrollment in
`enrollment_contacts` by `sql/window/58_enrollment_contacts.sql`). A send step's own
`send_to` narrows the journey's: a contact receives only if it passes both (`narrowed`).

Example:
    >>> from datetime import date, datetime
    >>> clock = Clock(window_end=datetime(2026, 1, 5, 10), today=date(2026, 1, 5), load_seq=3)
    >>> scope = FilterScope("contact", "c", {}, clock, enrollment="i")
    >>> print(narrowed([TriggeringContacts(), None], scope).sql())  # doctest: +ELLIPSIS
    EXISTS(SELECT 1 FROM enrollment_contacts AS t WHERE ...)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys.filters import FilterContext, FilterNode, read_filter_at
from orgjourney_pipeline.journeys.sqlexpr import Clock, FilterScope, combine, equal

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.reader import NodeReader
    from orgjourney_pipeline.journeys.steps import Step

__all__ = ["Clock", "TriggeringContacts", "narrowed", "read_send_to", "triggering_send_tos"]

TRIGGERING = "triggering_contacts"


@dataclass(frozen=True)
class TriggeringContacts(FilterNode):
    """`send_to: triggering_contacts`: the contacts remembered for the send's enrollment."""

    _: KW_ONLY
    line: int = field(default=0, compare=False)
    NEEDS_ACTIVITY_ENTRY: ClassVar[bool] = True

    def definition(self) -> Any:
        return TRIGGERING

    def predicate(self, scope: FilterScope) -> exp.Expression:
        if scope.enrollment is None:
            raise ValueError("'triggering_contacts' is only meaningful for a send's enrollment")
        remembered = (
            exp.select(exp.Literal.number(1))
            .from_(exp.table_("enrollment_contacts").as_("t"), copy=False)
            .where(
                exp.and_(
                    equal("t", "enrollment_id", scope.enrollment, "enrollment_id"),
                    equal("t", "contact_id", scope.row, "contact_id"),
                    copy=False,
                ),
                copy=False,
            )
        )
        return exp.Exists(this=remembered)


def read_send_to(reader: NodeReader, node: Mapping, key: str, where: str) -> FilterNode | None:
    """A `send_to`: `everyone` (None), `triggering_contacts` or `{filter: <contact filter>}`."""
    value = node.get(key)
    if value is None or value == "everyone":
        return None
    if value == TRIGGERING:
        return TriggeringContacts(line=reader.line_of(node, key))
    if isinstance(value, Mapping) and set(value) == {"filter"}:
        return read_filter_at(
            reader,
            value,
            "filter",
            f"{where}.filter",
            FilterContext("contact", since_allowed=False),
        )
    reader.error(
        reader.line_of(node, key),
        f"{where}: expected `everyone`, `triggering_contacts` or {{filter: <contact filter>}}",
    )
    return None


def narrowed(send_tos: Iterable[FilterNode | None], scope: FilterScope) -> exp.Expression:
    """The contacts that pass every `send_to` given (the journey's, then the step's)."""
    parts = [send_to.predicate(scope) for send_to in send_tos if send_to is not None]
    return combine(parts, exp.and_, True)


def triggering_send_tos(
    send_to: FilterNode | None, steps: Iterable[Step]
) -> list[tuple[str, FilterNode]]:
    """(where, send_to) of each `triggering_contacts` among a journey's `send_to` and its
    steps' (which need an `activity` entry)."""
    found = [("send_to", send_to)]
    found += [(where, node) for step in steps for _, where, node in step.filters()]
    return [
        (where, node) for where, node in found if node is not None and node.NEEDS_ACTIVITY_ENTRY
    ]
