"""Field checks: unknown fields and misused types in a journey's filters and entry field.

The known custom fields come from the warehouse (`custom_fields`), so these checks run apart
from reading the file. With no warehouse yet, only the built-in fields are known: a name
that is not built in cannot be judged and is not reported, while the built-ins are still
type-checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.journeys.filters import FilterNode
from orgjourney_pipeline.journeys.model import (
    BUILTIN_CONTACT_FIELDS,
    BUILTIN_FIELDS,
    BUILTIN_ORG_FIELDS,
    Journey,
    field_name,
)
from orgjourney_pipeline.journeys.problems import Problem


def known_field_types(
    rows: Callable[[str], list[tuple]],
) -> tuple[dict[str, str], dict[str, str]]:
    """Known organization and contact fields with their types: the built-ins and the custom
    fields loaded (`rows` runs a query of the warehouse)."""
    org_fields = dict(BUILTIN_ORG_FIELDS)
    contact_fields = dict(BUILTIN_CONTACT_FIELDS)
    for kind, name, field_type in rows(sqlfiles.load("runner/custom_fields.sql").sql()):
        (org_fields if kind == "organizations" else contact_fields)[name] = field_type
    return org_fields, contact_fields


@dataclass(frozen=True)
class KnownFields:
    """The fields of organizations and contacts a journey may name, with their types.

    A subject's mapping is None when the warehouse is not known (then only built-ins are).
    """

    org: Mapping[str, str] | None
    contact: Mapping[str, str] | None
    set_by_steps: tuple[str, ...] = ()

    def types(self, subject: str) -> dict[str, str]:
        """Field name -> type (`text`, `number`, `date`, `timestamp`, `bool`, `list`)."""
        loaded = self.org if subject == "org" else self.contact
        types = {**BUILTIN_FIELDS[subject], **(loaded or {})}
        if subject == "org" and loaded is not None:
            # A field that a step sets exists from then on (as text) even if the CRM lacks it.
            for name in self.set_by_steps:
                types.setdefault(field_name(name, types), "text")
        return types

    def complete(self, subject: str) -> bool:
        """Whether every field of the subject is known (a warehouse was read)."""
        return (self.org if subject == "org" else self.contact) is not None


def check_fields(
    journey: Journey,
    org_fields: Mapping[str, str] | None,
    contact_fields: Mapping[str, str] | None,
) -> list[Problem]:
    """Unknown fields and misused types in a journey's filters and entry field."""
    fields = KnownFields(
        org_fields,
        contact_fields,
        tuple(name for step in journey.steps for name in step.fields_set()),
    )
    found: list[tuple[int, str]] = []
    for subject, where, node in journey_filters(journey):
        found.extend(node.field_problems(fields, subject, where))
    entry_line = journey.lines.get("entry.field", journey.lines.get("entry", 1))
    found.extend(journey.entry.field_problems(fields, entry_line))
    return [
        Problem(journey.source, line, message, journey_id=journey.id) for line, message in found
    ]


def journey_filters(journey: Journey) -> Iterator[tuple[str, str, FilterNode]]:
    """Every filter of a journey: (subject, where for messages, filter), in file order."""
    if journey.entry.filter is not None:
        yield "org", "entry.filter", journey.entry.filter
    if journey.exit is not None and journey.exit.filter is not None:
        yield "org", "exit.filter", journey.exit.filter
    if journey.send_to is not None:
        yield "contact", "send_to", journey.send_to
    for step in journey.steps:
        yield from step.filters()
