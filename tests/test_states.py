"""States, versions and attribution (SPEC section 3), one scenario each, through the CLI.

2026-01-05 is a Monday. A journey's state is changed by editing its file between runs, as a
user would; a state change needs no new version.
"""

from __future__ import annotations

from datetime import datetime

import pytest

DAY = "2026-01-05"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


def moment(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(2026, 1, 5, int(hours), int(minutes))


def journey(
    steps: str,
    *,
    state: str = "published",
    version: int = 1,
    extra: str = "",
    frequency: str = "every_time",
    entry: str = "  when: activity\n  activity: purchase\n",
) -> str:
    return (
        f"id: j\nname: Test\nversion: {version}\nstate: {state}\nfrequency: {frequency}\n"
        f"entry:\n{entry}{extra}steps:\n{steps}"
    )


WAIT_THEN_MAIL = (
    "  - id: wait\n    delay: {hours: 1}\n  - id: mail\n    send_email: {template: hello}\n"
)


@pytest.fixture
def crm(scenario):
    """Three organizations; o1 has two contacts, o2 two with an email and one without."""
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "status": "active"},
        {"org_id": "o2", "name": "Beta", "status": "active"},
        {"org_id": "o3", "name": "Gamma", "status": "active"},
    )
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@acme.test"},
        {"contact_id": "c3", "email": "cy@beta.test"},
        {"contact_id": "c4", "email": "di@beta.test"},
        {"contact_id": "c5", "email": ""},
        {"contact_id": "c6", "email": "ed@gamma.test"},
    )
    scenario.members(
        ("c1", "o1"), ("c2", "o1"), ("c3", "o2"), ("c4", "o2"), ("c5", "o2"), ("c6", "o3")
    )
    return scenario


# -- states ---------------------------------------------------------------------------------


def test_a_draft_journey_does_nothing(crm):
    crm.journey(journey(WAIT_THEN_MAIL, state="draft"))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("11:00"), at("09:00"))
    assert crm.enrollments() == []
    assert crm.sends() == []
    assert crm.rows("select state, first_run_at from journeys") == [("draft", None)]


def test_a_paused_journey_freezes_and_its_due_steps_run_when_published_again(crm):
    path = crm.journey(journey(WAIT_THEN_MAIL, extra=EXIT_CHURNED))
    crm.events(("e1", "c1", "purchase", at("09:30")), ("e2", "c3", "purchase", at("09:40")))
    crm.run(at("10:00"), at("09:00"))  # o1 and o2 enter at 10:00, wait until 11:00

    path.write_text(journey(WAIT_THEN_MAIL, extra=EXIT_CHURNED, state="paused"))
    crm.orgs(
        {"org_id": "o1", "status": "active"},
        {"org_id": "o2", "status": "churned"},  # would exit, but nothing exits while paused
        {"org_id": "o3", "status": "active"},
        at=at("10:30"),
    )
    crm.events(("e3", "c6", "purchase", at("10:45")))  # would enter, but nothing enters
    crm.run(at("12:00"))
    assert crm.enrollments() == [
        ("o1", "01-05T10:00", "active", None),
        ("o2", "01-05T10:00", "active", None),
    ]
    assert crm.sends() == []

    path.write_text(journey(WAIT_THEN_MAIL, extra=EXIT_CHURNED))  # no new version needed
    crm.run(at("13:00"))
    # The wait fell due at 11:00, during the pause: it proceeds at the first published run.
    assert [s[:3] for s in crm.sends()] == [
        ("01-05T13:00", "o1", "c1"),
        ("01-05T13:00", "o1", "c2"),
    ]
    assert crm.enrollments() == [
        ("o1", "01-05T10:00", "completed", "completed"),
        ("o2", "01-05T10:00", "exited", "exit_criteria"),
    ]
    assert crm.rows("select ended_at from enrollments order by org_id") == [
        (moment("13:00"),),
        (moment("13:00"),),
    ]
    assert crm.rows("select version, state from journeys") == [(1, "published")]


EXIT_CHURNED = "exit:\n  filter: {field: status, op: eq, value: churned}\n"


def test_scheduled_instants_while_paused_are_not_caught_up(crm):
    recurring = '  when: recurring\n  every: day\n  at: "11:30"\n'
    path = crm.journey(journey(WAIT_THEN_MAIL, entry=recurring))
    crm.run(at("10:00"), at("09:00"))
    path.write_text(journey(WAIT_THEN_MAIL, entry=recurring, state="paused"))
    crm.run(at("12:00"))  # 11:30 falls in the window ending 12:00, while paused
    path.write_text(journey(WAIT_THEN_MAIL, entry=recurring))
    crm.run(at("13:00"))
    assert crm.enrollments() == []


def test_archiving_exits_every_active_enrollment_at_the_next_run(crm):
    path = crm.journey(journey(WAIT_THEN_MAIL))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    path.write_text(journey(WAIT_THEN_MAIL, state="archived"))
    crm.events(("e2", "c3", "purchase", at("10:30")))
    crm.run(at("12:00"))
    assert crm.enrollments() == [("o1", "01-05T10:00", "exited", "archived")]
    assert crm.rows("select ended_at from enrollments") == [(moment("11:00"),)]
    assert crm.sends() == []


# -- versions -------------------------------------------------------------------------------


def test_active_enrollments_keep_their_version_and_new_ones_take_the_current_one(crm):
    path = crm.journey(journey(WAIT_THEN_MAIL, frequency="once_at_a_time"))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    version_2 = (
        "  - id: wait\n    delay: {hours: 2}\n  - id: mail\n    send_email: {template: hello-v2}\n"
    )
    path.write_text(journey(version_2, version=2, frequency="once_at_a_time"))
    crm.events(
        ("e2", "c3", "purchase", at("10:30")),  # o2 enters version 2
        ("e3", "c2", "purchase", at("10:40")),  # o1 is active on version 1: frequency blocks it
    )
    crm.run(at("13:00"))
    assert crm.rows(
        "select org_id, journey_version, entered_at from enrollments order by org_id"
    ) == [("o1", 1, moment("10:00")), ("o2", 2, moment("11:00"))]
    assert crm.rows(
        "select org_id, strftime(run_at, '%H:%M'), journey_version, template from sends "
        "where contact_id in ('c1', 'c3') order by run_at"
    ) == [("o1", "11:00", 1, "hello"), ("o2", "13:00", 2, "hello-v2")]


# -- attribution ----------------------------------------------------------------------------


def attributed(steps: str = WAIT_THEN_MAIL, attribution: str = "", exit_: str = "") -> str:
    return journey(
        steps,
        entry="  when: activity\n  activity: form_submitted\n",
        extra=f"attribution: {{activity: purchase{attribution}}}\n{exit_}",
    )


def conversions(scenario) -> list[tuple]:
    return [
        (org, event, contact, converted.strftime("%H:%M"))
        for org, event, contact, converted in scenario.rows(
            "select org_id, event_id, contact_id, converted_at from conversions order by org_id"
        )
    ]


def test_an_enrollment_converts_once_at_the_first_activity_within_the_days_after_entry(crm):
    # within_days 0.0625 is 90 minutes: entered 10:00, so (10:00, 11:30].
    crm.journey(attributed(attribution=", within_days: 0.0625"))
    crm.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("f2", "c3", "form_submitted", at("09:30")),
        ("f3", "c6", "form_submitted", at("09:30")),
        ("p1", "c2", "purchase", at("10:20")),  # o1: first after entry
        ("p2", "c1", "purchase", at("10:40")),  # o1: a second one, no second conversion
        ("p3", "c4", "purchase", at("11:31")),  # o2: past the window
        ("p4", "c6", "purchase", at("11:30")),  # o3: exactly at its end (inclusive)
    )
    crm.run(at("12:00"), at("09:00"))
    # o1's purchase before its entry, loaded late, is processed now but does not count.
    crm.events(("p0", "c1", "purchase", at("09:50")), ("p5", "c1", "purchase", at("11:10")))
    crm.run(at("13:00"))
    assert conversions(crm) == [("o1", "p1", "c2", "10:20"), ("o3", "p4", "c6", "11:30")]


def test_a_completed_enrollment_still_converts_and_where_filters_properties(crm):
    crm.journey(
        attributed(
            steps="  - id: mail\n    send_email: {template: hello}\n",
            attribution=", where: {plan: pro}",
        )
    )
    crm.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("p1", "c1", "purchase", at("10:20"), {"plan": "basic"}),
        ("p2", "c2", "purchase", at("10:40"), {"plan": "pro"}),
    )
    crm.run(at("11:00"), at("09:00"))
    assert crm.enrollments() == [("o1", "01-05T10:00", "completed", "completed")]
    assert conversions(crm) == [("o1", "p2", "c2", "10:40")]


def test_last_step_and_last_send_are_the_last_at_or_before_the_conversion(crm):
    crm.journey(
        attributed(
            steps="  - id: first\n    send_email: {template: one}\n"
            "  - id: wait\n    delay: {hours: 1}\n"
            "  - id: second\n    send_email: {template: two}\n"
            "  - id: rest\n    delay: {hours: 5}\n"
        )
    )
    crm.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("f2", "c3", "form_submitted", at("09:30")),
        ("f3", "c6", "form_submitted", at("09:30")),
        # o1: by c1, one of the two contacts `first` went to at 10:00 (not the smaller send_id)
        ("p1", "c1", "purchase", at("10:30")),
        # o2: by c5, who has no email: the smallest send_id of the 10:00 sends
        ("p2", "c5", "purchase", at("10:30")),
        # o3: after `second` (11:00) was sent and `rest` reached
        ("p3", "c6", "purchase", at("11:30")),
    )
    crm.run(at("12:00"), at("09:00"))

    def send_id(org: str, step: str, contact: str | None = None) -> str:
        rows = crm.rows(
            "select send_id from sends where org_id = ? and step_id = ? "
            "and contact_id = coalesce(?, contact_id) order by send_id",
            org,
            step,
            contact,
        )
        return rows[0][0]

    assert send_id("o1", "first", "c1") != send_id("o1", "first")  # c1's is not the smallest
    assert crm.rows(
        "select org_id, last_step_id, last_send_id from conversions order by org_id"
    ) == [
        ("o1", "wait", send_id("o1", "first", "c1")),
        ("o2", "wait", send_id("o2", "first")),
        ("o3", "rest", send_id("o3", "second")),
    ]


def test_exit_on_conversion_ends_the_enrollment_in_the_run_that_records_it(crm):
    steps = "  - id: wait\n    delay: {hours: 2}\n  - id: mail\n    send_email: {template: hello}\n"
    crm.journey(attributed(steps=steps, exit_="exit:\n  on_conversion: true\n"))
    crm.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("f2", "c3", "form_submitted", at("09:30")),
        ("p1", "c1", "purchase", at("10:30")),
    )
    crm.run(at("11:00"), at("09:00"))
    # o2's purchase at 10:45 arrives late: recorded by the run at 12:00, where its wait falls
    # due — the exit comes first, so nothing is sent.
    crm.events(("p2", "c4", "purchase", at("10:45")))
    crm.run(at("12:00"))
    assert crm.enrollments() == [
        ("o1", "01-05T10:00", "exited", "converted"),
        ("o2", "01-05T10:00", "exited", "converted"),
    ]
    assert crm.rows("select org_id, ended_at from enrollments order by org_id") == [
        ("o1", moment("11:00")),
        ("o2", moment("12:00")),
    ]
    assert crm.rows("select org_id, run_at from conversions order by org_id") == [
        ("o1", moment("11:00")),
        ("o2", moment("12:00")),
    ]
    assert crm.sends() == []


def test_a_conversion_is_recorded_while_paused_but_nothing_exits_then(crm):
    steps = "  - id: wait\n    delay: {hours: 3}\n  - id: mail\n    send_email: {template: hello}\n"
    exit_ = "exit:\n  on_conversion: true\n"
    path = crm.journey(attributed(steps=steps, exit_=exit_))
    crm.events(("f1", "c1", "form_submitted", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    path.write_text(attributed(steps=steps, exit_=exit_).replace("published", "paused"))
    crm.events(("p1", "c1", "purchase", at("10:30")))
    crm.run(at("11:00"))
    assert conversions(crm) == [("o1", "p1", "c1", "10:30")]
    assert crm.enrollments() == [("o1", "01-05T10:00", "active", None)]
