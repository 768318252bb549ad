"""The journeys' relations compiled once for every window (`journeys.kept`): bound to a window,
they are the text a compile for that window alone renders, window after window, across days,
a daylight saving change, schedules that fire and anniversaries that fall."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta

from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline import journeys as language
from orgjourney_pipeline.catalog import JourneyCatalog
from orgjourney_pipeline.journeys.sqlexpr import WindowValue, timestamp
from orgjourney_pipeline.journeys.tables import RunJourney
from orgjourney_pipeline.journeys.templates import WindowContext
from orgjourney_pipeline.windows.journeys import KEPT_COMPILES, compiled_relations

ORG_FIELDS = {**language.BUILTIN_ORG_FIELDS, "renewal_date": "date", "signup_date": "date"}
CONTACT_FIELDS = dict(language.BUILTIN_CONTACT_FIELDS)
SNAPSHOT_COLUMNS = ("org_id", "name", "tags", "timezone", "created_at", "renewal_date")
SEND = "steps:\n  - id: hello\n    send_email: {template: hello}\n"

# Every rule that reads the window: activity counts over days and up to the load, dates and
# instants within days of now in two zones (the journeys without steps send one email), an approaching date, an anniversary, a weekly
# schedule, an exit filter, quiet hours, a wait_for.
JOURNEYS = {
    "active": """
        timezone: America/New_York
        entry:
          when: activity
          activity: purchase
          filter: {activity: email_opened, within_days: 2, min_count: 1}
        exit:
          filter: {field: created_at, op: within_last_days, value: 1.5}
        send_window: {from: '08:00', to: '20:00'}
        steps:
          - id: hello
            send_email: {template: hello}
          - id: wait
            wait_for: {activity: email_clicked, timeout: {hours: 2}}
        """,
    "renewal": """
        timezone: Asia/Kolkata
        entry:
          when: approaching_date
          field: renewal_date
          days_before: 15
          filter: {field: renewal_date, op: within_next_days, value: 30}
        """,
    "birthday": """
        timezone: America/New_York
        entry:
          when: anniversary
          field: signup_date
          at: "09:00"
        """,
    "weekly": """
        timezone: Europe/Paris
        entry:
          when: recurring
          every: week
          on: [monday, sunday]
          at: "02:30"
          filter: {field: renewal_date, op: within_last_days, value: 7}
        """,
}


def journey_text(journey_id: str, body: str) -> str:
    head = f"id: {journey_id}\nname: {journey_id}\nversion: 1\nstate: published\n"
    body = textwrap.dedent(body)
    return head + "frequency: every_time\n" + body + ("" if "steps:" in body else SEND)


def catalog_of(texts: dict[str, str]) -> JourneyCatalog:
    parsed = []
    for name, body in texts.items():
        journey, problems = language.parse_journey_text(journey_text(name, body), f"{name}.yaml")
        assert journey is not None, problems
        parsed.append(journey)
    run = [RunJourney(j, j.id, j.version, "published", None) for j in parsed]
    return JourneyCatalog(run, {(j.id, j.version): j for j in parsed})


def context_at(end: datetime, load_seq: int) -> WindowContext:
    return WindowContext(end - timedelta(hours=1), end, load_seq, ORG_FIELDS, CONTACT_FIELDS)


def windows(first_end: datetime, hours: int, every: int = 1):
    return [context_at(first_end + timedelta(hours=h), 10 + h) for h in range(0, hours, every)]


def test_a_kept_compile_bound_to_each_window_is_that_windows_own_compile():
    # 2026-03-08 is a Sunday and the spring change in New York; Monday 9 March follows.
    catalog = catalog_of(JOURNEYS)
    dialect = Dialect.get_or_raise("duckdb")
    updated = {"renewal_date"}
    for context in windows(datetime(2026, 3, 7, 20), 60):
        kept = compiled_relations(catalog, context, SNAPSHOT_COLUMNS, updated, dialect)
        alone = compiled_relations(catalog, context, SNAPSHOT_COLUMNS, updated, dialect, kept=False)
        assert kept == alone, context.window_end
    # The compiles kept: one per schedule firing or not and anniversary days, not per window.
    assert 1 < len(catalog.compiled) <= 4
    assert all(kept is not None for kept in catalog.compiled.values())


def test_the_spark_dialects_tokens_are_bound_too():
    catalog = catalog_of({"active": JOURNEYS["active"]})
    dialect = Dialect.get_or_raise("spark")
    for context in windows(datetime(2026, 3, 7, 20), 3):
        kept = compiled_relations(catalog, context, SNAPSHOT_COLUMNS, set(), dialect)
        assert kept == compiled_relations(
            catalog, context, SNAPSHOT_COLUMNS, set(), dialect, kept=False
        )


def test_a_journey_literal_that_reads_like_a_token_is_compiled_for_each_window():
    # The token of the window end, written by a journey as the value of an activity property.
    token = timestamp(WindowValue("window_end")).sql("duckdb")
    texts = {
        "tagged": f"""
            entry:
              when: activity
              activity: purchase
              where: {{code: '{token}'}}
              filter: {{activity: email_opened, within_days: 2, min_count: 1}}
            """
    }
    catalog = catalog_of(texts)
    dialect = Dialect.get_or_raise("duckdb")
    for context in windows(datetime(2026, 1, 5, 9), 3):
        relations = compiled_relations(catalog, context, SNAPSHOT_COLUMNS, set(), dialect)
        assert relations == compiled_relations(
            catalog, context, SNAPSHOT_COLUMNS, set(), dialect, kept=False
        )
        assert token in relations["entry_triggers"]  # the journey's literal, as it wrote it
    assert list(catalog.compiled.values()) == [None]


def test_a_catalog_keeps_a_few_compiles_however_many_days_it_runs():
    catalog = catalog_of({"birthday": JOURNEYS["birthday"]})
    dialect = Dialect.get_or_raise("duckdb")
    # 09:00 in New York is 14:00 UTC in January: every window ends at an anniversary instant.
    for context in windows(datetime(2026, 1, 5, 14), 24 * (KEPT_COMPILES + 4), every=24):
        compiled_relations(catalog, context, SNAPSHOT_COLUMNS, set(), dialect)
    # A new anniversary day each day: a new compile each day, the oldest gone.
    assert len(catalog.compiled) == KEPT_COMPILES


def test_an_invocation_compiles_its_relations_once_and_each_window_binds_them(
    scenario, monkeypatch
):
    from orgjourney_pipeline.windows import journeys as window_journeys

    compiles: list[datetime] = []
    compile_relations = window_journeys.compile_relations

    def counted(run_journeys, versions, context):
        compiles.append(context.window_end)
        return compile_relations(run_journeys, versions, context)

    monkeypatch.setattr(window_journeys, "compile_relations", counted)
    scenario.orgs({"org_id": "o1", "name": "Acme"})
    scenario.contacts({"contact_id": "c1", "email": "ann@acme.test"})
    scenario.members(("c1", "o1"))
    scenario.journey(journey_text("active", JOURNEYS["active"]))
    scenario.events(
        ("e0", "c1", "email_opened", "2026-01-05T10:10Z"),
        ("e1", "c1", "purchase", "2026-01-05T10:30Z"),
    )
    scenario.run("2026-01-05T14:00Z", "2026-01-05T09:00Z")
    # The preflight's window compiled them; the five windows bound them. o1 entered at 11:00,
    # and its send waited for the send window to open at 08:00 in New York (13:00 UTC).
    assert len(compiles) == 1
    assert [s[:4] for s in scenario.sends()] == [("01-05T13:00", "o1", "c1", "email")]
