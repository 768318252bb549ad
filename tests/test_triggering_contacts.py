"""`send_to: triggering_contacts` (SPEC section 3, Recipients), through the CLI.

The contacts whose activity of the entry's type (and `where`) in the entry's window made the
organization enter, remembered per enrollment, among the members as of each run that sends.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime

import pytest

from orgjourney_pipeline import journeys as language

DAY = "2026-01-05"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


def journey(steps: str, send_to: str = "triggering_contacts") -> str:
    head = textwrap.dedent(
        f"""\
        id: demo
        version: 1
        state: published
        frequency: every_time
        entry:
          when: activity
          activity: form_submitted
          where: {{form: demo}}
        send_to: {send_to}
        steps:
        """
    )
    return head + textwrap.indent(textwrap.dedent(steps), "  ")


@pytest.fixture
def crm(scenario):
    scenario.orgs({"org_id": "o1", "name": "Acme"})
    scenario.contacts(
        *(
            {"contact_id": c, "email": f"{c}@acme.test", "role": role}
            for c, role in (("ann", "admin"), ("bob", "user"), ("cy", "user"), ("dan", "admin"))
        )
    )
    scenario.members(("ann", "o1"), ("bob", "o1"), ("cy", "o1"), ("dan", "o1"))
    return scenario


def demo(event_id: str, contact: str, hhmm: str, form: str = "demo") -> tuple:
    return (event_id, contact, "form_submitted", at(hhmm), {"form": form})


def window_end(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{hhmm}")


def test_later_sends_go_to_the_enrollments_own_triggering_contacts_still_members(crm):
    crm.journey(
        journey(
            """\
            - id: mail
              send_email: {template: thanks}
            - id: wait
              delay: {hours: 2}
            - id: again
              send_email: {template: follow-up}
            """
        )
    )
    crm.events(
        demo("e1", "ann", "09:30"),
        demo("e2", "cy", "09:45"),
        ("e3", "bob", "page_viewed", at("09:50")),  # another type triggers nothing
        demo("e4", "dan", "09:55", form="pricing"),  # nor another `where`
        demo("e5", "bob", "10:15"),  # the next window: a second enrollment, bob's
    )
    crm.members(("bob", "o1"), ("cy", "o1"), ("dan", "o1"), at=at("11:30"))  # ann leaves
    crm.run(at("13:00"), at("09:00"))
    assert crm.sends() == [
        ("01-05T10:00", "o1", "ann", "email", "mail"),
        ("01-05T10:00", "o1", "cy", "email", "mail"),
        ("01-05T11:00", "o1", "bob", "email", "mail"),
        ("01-05T12:00", "o1", "cy", "email", "again"),  # ann left: no message, no suppression
        ("01-05T13:00", "o1", "bob", "email", "again"),
    ]
    assert crm.rows("select count(*) from suppressions") == [(0,)]
    assert crm.rows(
        "select e.entered_at, c.contact_id from enrollment_contacts c "
        "join enrollments e using (enrollment_id) order by all"
    ) == [
        (window_end("10:00"), "ann"),
        (window_end("10:00"), "cy"),
        (window_end("11:00"), "bob"),
    ]


def test_preview_addresses_the_triggering_contacts_of_the_window(crm):
    crm.journey(
        journey(
            """\
            - id: wait
              delay: {hours: 1}
            - id: mail
              send_email: {template: thanks}
            """
        )
    )
    crm.events(demo("e1", "bob", "09:30"))
    crm.invoke("ingest")
    found = json.loads(crm.invoke("preview", "demo", "--at", at("10:00"), "--json").output)
    assert found["entering"] == [{"org_id": "o1", "name": "Acme"}]
    assert [(r["contact_id"], r["suppressed"]) for r in found["recipients"]] == [("bob", None)]


def test_a_step_send_to_narrows_the_triggering_contacts(crm):
    crm.journey(
        journey(
            """\
            - id: admins
              send_email: {template: admins}
              send_to: {filter: {field: role, op: eq, value: admin}}
            """
        )
    )
    crm.events(demo("e1", "ann", "09:30"), demo("e2", "cy", "09:45"))
    crm.run(at("10:00"), at("09:00"))
    # cy triggered but is no admin; dan is an admin but did not trigger
    assert crm.sends() == [("01-05T10:00", "o1", "ann", "email", "admins")]


def test_a_step_may_send_to_the_triggering_contacts_of_an_everyone_journey(crm):
    crm.journey(
        journey(
            """\
            - id: all
              send_email: {template: all}
            - id: them
              send_email: {template: them}
              send_to: triggering_contacts
            """,
            send_to="everyone",
        )
    )
    crm.events(demo("e1", "dan", "09:30"))
    crm.run(at("10:00"), at("09:00"))
    assert [(contact, step) for *_, contact, _, step in crm.sends()] == [
        ("ann", "all"),
        ("bob", "all"),
        ("cy", "all"),
        ("dan", "all"),
        ("dan", "them"),
    ]


@pytest.mark.parametrize(
    ("entry", "send_to_line"),
    [("{when: tags, tags: [x]}", 4), ("{when: filter, filter: {tag: x}}", 4)],
)
def test_triggering_contacts_without_an_activity_entry_is_a_problem(entry, send_to_line):
    text = (
        f"id: t\nversion: 1\nentry: {entry}\nsend_to: triggering_contacts\n"
        "steps:\n  - id: m\n    send_email: {template: x}\n    send_to: triggering_contacts\n"
    )
    parsed, problems = language.parse_journey_text(text, "t.yaml")
    assert parsed is None
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (send_to_line, "send_to"),
        (8, "step 'm' send_to"),
    ]
    assert "needs `entry.when: activity`" in problems[0].message


def test_triggering_contacts_reads_back_from_its_canonical_definition():
    text = journey("- id: m\n  send_email: {template: x}\n  send_to: triggering_contacts\n")
    parsed, _ = language.parse_journey_text(text, "t.yaml")
    definition = parsed.definition()
    assert definition["send_to"] == "triggering_contacts"
    assert definition["steps"][0]["send_to"] == "triggering_contacts"
    assert language.journey_from_definition(definition) == parsed
