"""`orgjourney preview`: who would enter a journey now and who would get its first send.

The window ending at the chosen instant runs for that journey alone, as if published, in a
transaction that is rolled back: nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orgjourney_pipeline import engine, sqlsteps
from orgjourney_pipeline.journeys import model, registry
from orgjourney_pipeline.journeys.compile import RunJourney
from orgjourney_pipeline.warehouse import transaction


@dataclass
class PreviewResult:
    """The organizations that would enter, and the first send step's recipients."""

    entering: list[tuple[str, str | None]]
    first_send_step: str | None
    first_send_due: bool
    recipients: list[tuple[str, str, str, str | None, str | None]]


class UnknownJourney(LookupError):
    """No valid journey file has that id."""


def preview(
    con: duckdb.DuckDBPyConnection, journeys_dir: Path, journey_id: str, at: datetime
) -> PreviewResult:
    """Evaluate entry and the first send of one journey as of `at`, writing nothing."""
    catalog = registry.load_catalog(con, journeys_dir)
    current = catalog.by_id(journey_id)
    if current is None or current.journey is None:
        problems = [str(p) for p in catalog.errors if p.journey_id == journey_id]
        detail = ("; ".join(problems)) if problems else "no journey file has that id"
        raise UnknownJourney(f"journey '{journey_id}': {detail}")
    journey = current.journey
    alone = registry.JourneyCatalog(
        [RunJourney(journey, journey.id, journey.version, "published", journey.unsubscribe)],
        {key: j for key, j in catalog.versions.items() if key[0] == journey_id},
    )
    first_send = next(
        (s for s in journey.steps if isinstance(s, model.SendEmail | model.SendSms)), None
    )
    window = engine.Window(at - engine.HOUR, at)
    load_seq = con.execute("select coalesce(max(load_seq), 0) from ingested_files").fetchone()[0]
    with transaction(con, commit=False):
        engine.run_window(con, window, sqlsteps.load_steps(), load_seq, alone)
        entering = con.execute(
            "select n.org_id, o.name from new_enrollments as n"
            " join organizations_at as o on o.org_id = n.org_id order by n.org_id"
        ).fetchall()
        if first_send is None:
            return PreviewResult(entering, None, False, [])
        due = (
            con.execute(
                "select count(*) from recipients where step_id = ? and enrollment_id in"
                " (select enrollment_id from new_enrollments)",
                [first_send.id],
            ).fetchone()[0]
            > 0
            or not entering
        )
        if not due:
            # The first send follows a wait: address it as if the entering organizations were there.
            con.execute("delete from send_intents")
            con.execute(
                "insert into send_intents select enrollment_id, journey_id, journey_version,"
                " org_id, ? from new_enrollments",
                [first_send.id],
            )
            relations = engine.prepare_journeys(con, alone, window, load_seq)
            params = engine.window_parameters(con, window, load_seq)
            step = sqlsteps.parse_step(sqlsteps.sql_dir() / "window" / "80_recipients.sql")
            sqlsteps.run_step(con, step, params, relations)
        recipients = con.execute(
            "select r.org_id, r.contact_id, r.channel, r.address, r.reason from recipients as r"
            " where r.step_id = ? and r.enrollment_id in (select enrollment_id from new_enrollments)"
            " order by r.org_id, r.contact_id",
            [first_send.id],
        ).fetchall()
    return PreviewResult(entering, first_send.id, due, recipients)
