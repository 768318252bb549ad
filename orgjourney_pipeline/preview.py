"""`orgjourney preview`: who would enter a journey now and who would get its first send.

The window ending at the chosen instant runs for that journey alone, as if published, in a
transaction that is rolled back: nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys.problems import hint
from orgjourney_pipeline.status import Freshness
from orgjourney_pipeline.timeutil import json_instant
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.journeys import prepare_journeys
from orgjourney_pipeline.windows.plan import HOUR, Window
from orgjourney_pipeline.windows.window import loaded_through, run_window, window_parameters

# The steps that address a send and apply the caps, run again for an assumed first send.
RECIPIENTS_STEPS = ("80_recipients.sql", "80_recipients_capped.sql")


@dataclass
class PreviewResult:
    """The organizations that would enter, and the first send step's recipients."""

    entering: list[tuple[str, str | None]]
    first_send_step: str | None
    first_send_due: bool
    recipients: list[tuple[str, str, str, str | None, str | None]]

    def totals(self) -> dict:
        """How many would enter, be addressed, be sent to, and be suppressed (per reason)."""
        suppressed: dict[str, int] = {}
        for *_, reason in self.recipients:
            if reason is not None:
                suppressed[reason] = suppressed.get(reason, 0) + 1
        return {
            "entering": len(self.entering),
            "recipients": len(self.recipients),
            "sends": len(self.recipients) - sum(suppressed.values()),
            "suppressed": dict(sorted(suppressed.items())),
        }

    def document(self, journey_id: str, at: datetime, data: Freshness) -> dict:
        """The `preview --json` document (docs/schemas/preview.schema.json): every row, whatever
        `--limit` shows as text."""
        return {
            "journey_id": journey_id,
            "at": json_instant(at),
            "data": data.document(),
            "totals": self.totals(),
            "entering": [{"org_id": org_id, "name": name} for org_id, name in self.entering],
            "first_send_step": self.first_send_step,
            "first_send_due": self.first_send_due,
            "recipients": [
                {
                    "org_id": org_id,
                    "contact_id": contact_id,
                    "channel": channel,
                    "address": address,
                    "suppressed": reason,
                }
                for org_id, contact_id, channel, address, reason in self.recipients
            ],
        }


class UnknownJourney(LookupError):
    """No valid journey file has that id."""


def preview(engine: Engine, journeys_dir: Path, journey_id: str, at: datetime) -> PreviewResult:
    """Evaluate entry and the first send of one journey as of `at`, writing nothing."""
    catalog = journey_catalog.load_catalog(engine, journeys_dir)
    current = catalog.by_id(journey_id)
    if current is None or current.journey is None:
        problems = [str(p) for p in catalog.errors if p.journey_id == journey_id]
        known = [rj.journey_id for rj in catalog.run_journeys if rj.journey is not None]
        detail = (
            "; ".join(problems)
            if problems
            else "no journey file has that id" + hint(journey_id, known)
        )
        raise UnknownJourney(f"journey '{journey_id}': {detail}")
    journey = current.journey
    alone = catalog.alone(journey)
    first_send = next((step for step in journey.steps if step.CHANNEL is not None), None)
    window = Window(at - HOUR, at)
    load_seq = loaded_through(engine)
    with engine.transaction(commit=False):
        run_window(engine, window, window_steps.load_steps(), load_seq, alone)
        entering = engine.rows(sqlfiles.load("preview/entering.sql").sql())
        if first_send is None:
            return PreviewResult(entering, None, False, [])
        recipients = _first_send_recipients(engine, first_send.id)
        due = bool(recipients) or not entering
        if not due:
            # The first send follows a wait: address it as if the entering organizations were there.
            assumed = sqlfiles.load("preview/assumed_send_intents.sql").sql(step_id=first_send.id)
            engine.write(assumed, "send_intents", "temp")
            compiled = prepare_journeys(engine, alone, window, load_seq)
            params = window_parameters(engine, window, load_seq)
            for name in RECIPIENTS_STEPS:
                step = window_steps.parse_step(window_steps.sql_dir() / "window" / name)
                window_steps.run_step(engine, step, params, compiled)
            recipients = _first_send_recipients(engine, first_send.id)
    return PreviewResult(entering, first_send.id, due, recipients)


def _first_send_recipients(engine: Engine, step_id: str) -> list[tuple]:
    return engine.rows(sqlfiles.load("preview/first_send_recipients.sql").sql(step_id=step_id))
