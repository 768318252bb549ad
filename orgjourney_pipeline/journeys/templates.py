"""What the kinds compile with: the window they compile for, and their SQL templates.

A kind's SQL is a template in `sql/compiled/<name>.sql` — one `SELECT` over the window's
tables with `$name` placeholders — bound with literals and with the kind's compiled predicate
(`relation`). The window's SQL files read the union of every journey's part of a relation as
`compiled.<relation>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlglot import exp

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.sqlexpr import Clock, FilterScope, WindowValue

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.model import Journey


@dataclass(frozen=True)
class WindowContext:
    """The window the journeys compile for, and the fields their filters may name.

    `for_every_window`: the relations name the window's end, local dates and load sequence
    as `WindowValue`s, to be bound to any window's (`journeys.kept`); only the entry kinds'
    `window_shape` reads this window's start and end.
    """

    window_start: datetime
    window_end: datetime
    load_seq: int
    org_fields: Mapping[str, str]
    contact_fields: Mapping[str, str]
    for_every_window: bool = False

    @property
    def end(self) -> datetime | WindowValue:
        """The window end, as the relations name it."""
        return WindowValue("window_end") if self.for_every_window else self.window_end

    def clock(self, journey: Journey) -> Clock:
        """ "Now" for the journey: the window end, and its local date in the journey's zone."""
        if self.for_every_window:
            today = WindowValue("today", journey.timezone)
            return Clock(WindowValue("window_end"), today, WindowValue("load_seq"))
        today = schedule.local_today(self.window_end, journey.timezone)
        return Clock(self.window_end, today, self.load_seq)

    def org_scope(self, journey: Journey, enrollment: str | None = None) -> FilterScope:
        """Organization filters over `o`; `enrollment` the alias whose `entered_at` counts."""
        return FilterScope(
            "org", "o", self.org_fields, self.clock(journey), enrollment, self.contact_fields
        )

    def contact_scope(self, journey: Journey) -> FilterScope:
        """Contact filters over `c`."""
        return FilterScope("contact", "c", self.contact_fields, self.clock(journey))


def relation(template: str, **values: object) -> exp.Query:
    """The template `sql/compiled/<template>.sql` with its placeholders bound."""
    query = sqlfiles.load(f"compiled/{template}.sql").bind(**values)
    if not isinstance(query, exp.Query):
        raise sqlfiles.SqlFileError(f"compiled/{template}.sql: a template is one SELECT")
    return query


def journey_key(journey: Journey) -> dict[str, object]:
    """The placeholders that name a journey version in the templates."""
    return {"journey_id": journey.id, "journey_version": journey.version}
