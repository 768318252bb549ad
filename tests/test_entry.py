"""Entry rules of SPEC section 3, one scenario each, through the CLI with exact times.

2026-01-05 is a Monday. A run `--from 09:00 --through 12:00` processes the windows ending at
10:00, 11:00 and 12:00; what they do is stamped with those window ends.
"""

from __future__ import annotations

import pytest

DAY = "2026-01-05"


def at(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}Z"


@pytest.fixture
def crm(scenario):
    """Three organizations, four contacts."""
    scenario.orgs(
        {
            "org_id": "o1",
            "name": "Acme",
            "tags": ["vip"],
            "tier": "gold",
            "status": "active",
            "renewal_date": "2026-01-20",
            "signup_date": "2024-02-29",
        },
        {
            "org_id": "o2",
            "name": "Beta",
            "tags": [],
            "tier": "silver",
            "status": "active",
            "renewal_date": "2026-03-01",
            "signup_date": "2025-01-05",
        },
        {
            "org_id": "o3",
            "name": "Gamma",
            "tags": ["partner"],
            "tier": "bronze",
            "status": "churned",
            "renewal_date": "2026-01-10",
            "signup_date": "2023-06-30",
        },
    )
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test", "phone": "+15550001", "sms_opt_in": True},
        {"contact_id": "c2", "email": "bob@acme.test", "phone": "+15550002", "sms_opt_in": True},
        {"contact_id": "c3", "email": "cy@beta.test", "phone": "+15550003", "sms_opt_in": True},
        {"contact_id": "c4", "email": "di@gamma.test", "phone": "+15550004", "sms_opt_in": True},
    )
    scenario.members(("c1", "o1"), ("c2", "o1"), ("c3", "o2"), ("c4", "o3"))
    return scenario


def journey(
    entry: str,
    *,
    frequency: str = "once",
    steps: str | None = None,
    extra: str = "",
    timezone: str = "UTC",
    journey_id: str = "j",
) -> str:
    steps = steps or "  - id: hello\n    send_email: {template: hello}\n"
    return (
        f"id: {journey_id}\nname: Test\nversion: 1\nstate: published\ntimezone: {timezone}\n"
        f"frequency: {frequency}\nentry:\n{entry}{extra}steps:\n{steps}"
    )


WAIT_3H = "  - id: hello\n    send_email: {template: hello}\n  - id: pause\n    delay: {hours: 3}\n"


# -- filter: an edge, not a level ----------------------------------------------------------


def test_filter_first_run_enters_every_matching_organization(crm):
    crm.journey(journey("  when: filter\n  filter: {field: tier, op: in, value: [GOLD, silver]}\n"))
    crm.run(at("10:00"), at("09:00"))
    assert crm.enrollments() == [
        ("o1", "01-05T10:00", "completed", "completed"),
        ("o2", "01-05T10:00", "completed", "completed"),
    ]
    assert [s[:4] for s in crm.sends()] == [
        ("01-05T10:00", "o1", "c1", "email"),
        ("01-05T10:00", "o1", "c2", "email"),
        ("01-05T10:00", "o2", "c3", "email"),
    ]


def test_filter_enters_when_an_organization_starts_matching_and_not_while_it_keeps_matching(
    crm,
):
    crm.journey(
        journey(
            "  when: filter\n  filter: {field: tier, op: eq, value: gold}\n", frequency="every_time"
        )
    )
    crm.run(at("11:00"), at("09:00"))
    # o2 becomes gold at 11:30; o1 stops being gold at 12:30 and is gold again at 13:30.
    crm.orgs(
        {"org_id": "o1", "tier": "gold"},
        {"org_id": "o2", "tier": "gold"},
        {"org_id": "o3", "tier": "bronze"},
        at=at("11:30"),
    )
    crm.orgs(
        {"org_id": "o1", "tier": "silver"},
        {"org_id": "o2", "tier": "gold"},
        {"org_id": "o3", "tier": "bronze"},
        at=at("12:30"),
    )
    crm.orgs(
        {"org_id": "o1", "tier": "gold"},
        {"org_id": "o2", "tier": "gold"},
        {"org_id": "o3", "tier": "bronze"},
        at=at("13:30"),
    )
    crm.run(at("15:00"))
    assert [(org, entered) for org, entered, _, _ in crm.enrollments()] == [
        ("o1", "01-05T10:00"),
        ("o2", "01-05T12:00"),
        ("o1", "01-05T14:00"),
    ]


def test_filter_start_blocked_by_frequency_is_dropped_not_deferred(crm):
    crm.journey(
        journey(
            "  when: filter\n  filter: {field: tier, op: eq, value: gold}\n",
            frequency="once_at_a_time",
            steps=WAIT_3H,
        )
    )
    crm.orgs({"org_id": "o1", "tier": "silver"}, at=at("10:30"))
    crm.orgs({"org_id": "o1", "tier": "gold"}, at=at("11:30"))
    # o1 enters at 10:00 and waits until 13:00; its new start at 12:00 is blocked; it keeps
    # matching afterwards, which is no new start.
    crm.run(at("16:00"), at("09:00"))
    assert crm.enrollments() == [("o1", "01-05T10:00", "completed", "completed")]
    assert crm.rows("select ended_at from enrollments")[0][0].hour == 13


def test_an_organization_matching_the_exit_filter_does_not_enter_and_is_not_deferred(crm):
    crm.journey(
        journey(
            "  when: filter\n  filter: {field: tier, op: in, value: [gold, bronze]}\n",
            extra="exit:\n  filter: {field: status, op: eq, value: churned}\n",
        )
    )
    crm.orgs(
        {"org_id": "o1", "tier": "gold", "status": "active"},
        {"org_id": "o3", "tier": "bronze", "status": "active"},
        at=at("10:30"),
    )
    crm.run(at("12:00"), at("09:00"))
    # o3 (churned) was blocked at the first run; un-churning at 10:30 is not a new start.
    assert [e[0] for e in crm.enrollments()] == ["o1"]


# -- tags -----------------------------------------------------------------------------------


def test_tags_any_enters_on_the_edge_of_having_one_of_the_tags(crm):
    crm.journey(journey("  when: tags\n  tags: [VIP, partner]\n  match: any\n"))
    crm.orgs(
        {"org_id": "o1", "tags": ["vip"]},
        {"org_id": "o2", "tags": ["partner"]},
        {"org_id": "o3", "tags": ["partner"]},
        at=at("10:30"),
    )
    crm.run(at("12:00"), at("09:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [
        ("o1", "01-05T10:00"),
        ("o3", "01-05T10:00"),
        ("o2", "01-05T11:00"),
    ]


def test_tags_all_needs_every_tag(crm):
    crm.journey(journey("  when: tags\n  tags: [vip, partner]\n  match: all\n"))
    crm.orgs(
        {"org_id": "o1", "tags": ["vip"]},
        {"org_id": "o2", "tags": ["vip", "partner"]},
        {"org_id": "o3", "tags": ["partner"]},
        at=at("10:30"),
    )
    crm.run(at("12:00"), at("09:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [("o2", "01-05T11:00")]


# -- activity -------------------------------------------------------------------------------


def test_activity_enters_once_per_organization_per_window_however_many_events(crm):
    crm.journey(journey("  when: activity\n  activity: form_submitted\n", frequency="every_time"))
    crm.events(
        ("e1", "c1", "form_submitted", at("09:05")),
        ("e2", "c2", "form_submitted", at("09:50")),  # same org, same window
        ("e3", "c1", "form_submitted", at("10:59")),  # same org, next window
        ("e4", "c3", "page_viewed", at("09:10")),  # another type
    )
    crm.run(at("12:00"), at("09:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [
        ("o1", "01-05T10:00"),
        ("o1", "01-05T11:00"),
    ]


def test_activity_where_matches_event_properties(crm):
    crm.journey(journey("  when: activity\n  activity: form_submitted\n  where: {form: demo}\n"))
    crm.events(
        ("e1", "c1", "form_submitted", at("09:05"), {"form": "newsletter"}),
        ("e2", "c3", "form_submitted", at("09:10"), {"form": "demo"}),
    )
    crm.run(at("10:00"), at("09:00"))
    assert [e[0] for e in crm.enrollments()] == ["o2"]


def test_history_before_the_first_window_triggers_nothing_but_late_arrivals_do(crm):
    crm.journey(journey("  when: activity\n  activity: form_submitted\n", frequency="every_time"))
    crm.events(("old", "c1", "form_submitted", at("08:30")))
    crm.run(at("11:00"), at("09:00"))
    assert crm.enrollments() == []
    # Loaded after its window (09:00-10:00) was processed: processed by the next run.
    crm.events(("late", "c3", "form_submitted", at("09:30")))
    crm.run(at("12:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [("o2", "01-05T12:00")]


def test_an_event_counts_for_every_organization_of_the_contact(crm):
    crm.members(("c1", "o1"), ("c1", "o2"), ("c2", "o1"), ("c3", "o2"), ("c4", "o3"))
    crm.journey(journey("  when: activity\n  activity: purchase\n"))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert [e[0] for e in crm.enrollments()] == ["o1", "o2"]


# -- approaching_date -----------------------------------------------------------------------


def test_approaching_date_enters_once_per_date_value(crm):
    # o1 renews 2026-01-20: within 15 days from 2026-01-05 on. o3 (2026-01-10) is too, but
    # its filter fails. A later snapshot moves o1's date: a new date value enters again.
    crm.journey(
        journey(
            "  when: approaching_date\n  field: renewal_date\n  days_before: 15\n"
            "  filter: {field: status, op: ne, value: churned}\n",
            frequency="once_at_a_time",
        )
    )
    crm.run(at("12:00"), at("09:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [("o1", "01-05T10:00")]
    crm.orgs({"org_id": "o1", "status": "active", "renewal_date": "2026-01-19"}, at=at("12:30"))
    crm.run(at("14:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [
        ("o1", "01-05T10:00"),
        ("o1", "01-05T13:00"),
    ]


def test_approaching_date_uses_the_local_date_of_the_journey(crm):
    # 2026-01-21 minus 15 days is 2026-01-06: in Tokyo that date starts at 2026-01-05T15:00Z.
    crm.orgs({"org_id": "o1", "renewal_date": "2026-01-21"}, at="2026-01-02T00:00Z")
    crm.journey(
        journey(
            "  when: approaching_date\n  field: renewal_date\n  days_before: 15\n",
            timezone="Asia/Tokyo",
        )
    )
    crm.run(at("16:00"), at("13:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [("o1", "01-05T15:00")]


# -- anniversary ----------------------------------------------------------------------------


def test_anniversary_of_29_february_falls_on_28_february_at_the_local_time(scenario):
    scenario.orgs(
        {"org_id": "leap", "signup_date": "2024-02-29"},
        {"org_id": "plain", "signup_date": "2020-02-28"},
        {"org_id": "this-year", "signup_date": "2027-02-28"},  # no anniversary in its own year
        {"org_id": "other", "signup_date": "2020-03-01"},
    )
    scenario.journey(
        journey(
            '  when: anniversary\n  field: signup_date\n  at: "09:00"\n',
            frequency="every_time",
            timezone="America/New_York",
        )
    )
    # 09:00 in New York on 2027-02-28 is 14:00Z: it belongs to the window ending 14:00.
    scenario.run("2027-02-28T15:00Z", "2027-02-28T12:00Z")
    assert scenario.rows("select org_id, entered_at from enrollments order by org_id") == [
        ("leap", __import__("datetime").datetime(2027, 2, 28, 14)),
        ("plain", __import__("datetime").datetime(2027, 2, 28, 14)),
    ]


# -- recurring ------------------------------------------------------------------------------


def test_recurring_week_fires_at_the_instant_on_the_given_days(crm):
    crm.journey(
        journey(
            '  when: recurring\n  every: week\n  on: [monday, wednesday]\n  at: "10:30"\n'
            "  filter: {field: status, op: eq, value: active}\n",
            frequency="every_time",
        )
    )
    # Monday 10:30 belongs to the window 10:00-11:00, which ends at 11:00.
    crm.run(at("12:00"), at("09:00"))
    assert [(e[0], e[1]) for e in crm.enrollments()] == [
        ("o1", "01-05T11:00"),
        ("o2", "01-05T11:00"),
    ]


def test_recurring_instant_exactly_on_a_window_end_belongs_to_the_window_it_ends(crm):
    crm.journey(journey('  when: recurring\n  every: day\n  at: "10:00"\n', frequency="every_time"))
    crm.run(at("12:00"), at("09:00"))
    assert {e[1] for e in crm.enrollments()} == {"01-05T10:00"}


def test_recurring_month_day_past_the_month_end_means_its_last_day(crm):
    crm.journey(
        journey(
            '  when: recurring\n  every: month\n  day: 31\n  at: "08:00"\n', frequency="every_time"
        )
    )
    crm.run("2026-02-28T09:00Z", "2026-02-28T07:00Z")
    assert {e[1] for e in crm.enrollments()} == {"02-28T08:00"}


def test_recurring_local_time_in_the_spring_gap_moves_to_the_first_existing_time(crm):
    # Berlin skips 02:00-03:00 on 2026-03-29: 02:30 becomes 03:00 CEST = 01:00Z.
    crm.journey(
        journey(
            '  when: recurring\n  every: day\n  at: "02:30"\n',
            frequency="every_time",
            timezone="Europe/Berlin",
        )
    )
    crm.run("2026-03-29T03:00Z", "2026-03-28T23:00Z")
    assert {e[1] for e in crm.enrollments()} == {"03-29T01:00"}


def test_recurring_instants_before_the_first_run_are_not_caught_up(crm):
    crm.journey(journey('  when: recurring\n  every: day\n  at: "08:30"\n', frequency="every_time"))
    crm.run(at("12:00"), at("09:00"))
    assert crm.enrollments() == []


# -- frequency ------------------------------------------------------------------------------


def test_once_counts_across_versions(crm):
    text = journey("  when: activity\n  activity: purchase\n")
    path = crm.journey(text)
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    path.write_text(text.replace("version: 1", "version: 2").replace("hello}", "hello-v2}"))
    crm.events(("e2", "c1", "purchase", at("10:30")), ("e3", "c3", "purchase", at("10:40")))
    crm.run(at("11:00"))
    assert crm.rows(
        "select org_id, journey_version, entered_at from enrollments order by entered_at, org_id"
    ) == [
        ("o1", 1, __import__("datetime").datetime(2026, 1, 5, 10)),
        ("o2", 2, __import__("datetime").datetime(2026, 1, 5, 11)),
    ]


def test_once_at_a_time_reenters_only_after_the_enrollment_ended(crm):
    crm.journey(
        journey(
            "  when: activity\n  activity: purchase\n", frequency="once_at_a_time", steps=WAIT_3H
        )
    )
    crm.events(
        ("e1", "c1", "purchase", at("09:30")),  # enters at 10:00, ends at 13:00
        ("e2", "c1", "purchase", at("11:30")),  # blocked: still active
        ("e3", "c2", "purchase", at("13:30")),  # enters again at 14:00
    )
    crm.run(at("15:00"), at("09:00"))
    assert [(e[0], e[1], e[2]) for e in crm.enrollments()] == [
        ("o1", "01-05T10:00", "completed"),
        ("o1", "01-05T14:00", "active"),
    ]


def test_every_time_makes_overlapping_enrollments(crm):
    crm.journey(
        journey("  when: activity\n  activity: purchase\n", frequency="every_time", steps=WAIT_3H)
    )
    crm.events(("e1", "c1", "purchase", at("09:30")), ("e2", "c1", "purchase", at("10:30")))
    crm.run(at("11:00"), at("09:00"))
    assert [(e[0], e[1], e[2]) for e in crm.enrollments()] == [
        ("o1", "01-05T10:00", "active"),
        ("o1", "01-05T11:00", "active"),
    ]
    ids = [row[0] for row in crm.rows("select enrollment_id from enrollments")]
    assert len(set(ids)) == 2


# -- exit -----------------------------------------------------------------------------------


def test_exit_filter_ends_the_enrollment_before_its_due_steps_run(crm):
    steps = (
        "  - id: pause\n    delay: {hours: 2}\n  - id: hello\n    send_email: {template: hello}\n"
    )
    crm.journey(
        journey(
            "  when: activity\n  activity: purchase\n",
            steps=steps,
            extra="exit:\n  filter: {field: status, op: eq, value: churned}\n",
        )
    )
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.orgs({"org_id": "o1", "status": "churned"}, at=at("11:30"))
    crm.run(at("13:00"), at("09:00"))
    # the delay falls due at 12:00, the run that sees the churn: the exit wins
    assert crm.enrollments() == [("o1", "01-05T10:00", "exited", "exit_criteria")]
    assert crm.rows("select ended_at from enrollments")[0][0].hour == 12
    assert crm.sends() == []


def test_a_deleted_organization_exits_with_org_deleted(crm):
    crm.journey(journey("  when: activity\n  activity: purchase\n", steps=WAIT_3H))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.orgs({"org_id": "o2"}, {"org_id": "o3"}, at=at("10:30"))
    crm.run(at("12:00"), at("09:00"))
    assert crm.enrollments() == [("o1", "01-05T10:00", "exited", "org_deleted")]
    assert crm.rows("select ended_at from enrollments")[0][0].hour == 11


def test_enrollment_ids_are_deterministic_hashes_of_journey_org_and_entry(crm, tmp_path):
    crm.journey(journey("  when: activity\n  activity: purchase\n"))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    [(enrollment_id,)] = crm.rows("select enrollment_id from enrollments")
    [(expected,)] = crm.rows("select md5('j|o1|2026-01-05T10:00Z')")
    assert enrollment_id == expected
