"""Step rules of SPEC section 3, one scenario each, through the CLI with exact times.

2026-01-05 is a Monday. An enrollment that enters in the window ending 10:00 reaches its first
step at 10:00; whatever a run does is stamped with its window end.
"""

from __future__ import annotations

import pytest

DAY = "2026-01-05"


def at(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}Z"


def journey(
    steps: str,
    *,
    journey_id: str = "j",
    timezone: str = "UTC",
    entry: str = "  when: activity\n  activity: purchase\n",
    frequency: str = "every_time",
) -> str:
    return (
        f"id: {journey_id}\nname: Test\nversion: 1\nstate: published\ntimezone: {timezone}\n"
        f"frequency: {frequency}\nentry:\n{entry}steps:\n{steps}"
    )


@pytest.fixture
def crm(scenario):
    """Three organizations with one contact each."""
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "tier": "gold", "tags": ["cold"]},
        {"org_id": "o2", "name": "Beta", "tier": "gold", "tags": []},
        {"org_id": "o3", "name": "Gamma", "tier": "silver", "tags": []},
    )
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@beta.test"},
        {"contact_id": "c3", "email": "cy@gamma.test"},
    )
    scenario.members(("c1", "o1"), ("c2", "o2"), ("c3", "o3"))
    return scenario


def steps_reached(scenario, org_id: str | None = None) -> list[tuple]:
    """(org_id, step_id, reached_at 'MM-DDTHH:MM', outcome) in the order they were reached."""
    where = "where org_id = ?" if org_id else ""
    return [
        (org, step, reached.strftime("%m-%dT%H:%M"), outcome)
        for org, step, reached, outcome in scenario.rows(
            f"select org_id, step_id, reached_at, outcome from enrollment_steps {where} "
            "order by org_id, reached_at, step_seq",
            *([org_id] if org_id else []),
        )
    ]


# -- delay ----------------------------------------------------------------------------------


def test_delay_in_minutes_and_hours_is_exact_and_every_reached_step_is_recorded(crm):
    crm.journey(
        journey(
            "  - id: first-wait\n    delay: {minutes: 90}\n"
            "  - id: first-mail\n    send_email: {template: one}\n"
            "  - id: second-wait\n    delay: {hours: 2}\n"
            "  - id: second-mail\n    send_email: {template: two}\n"
        )
    )
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("15:00"), at("09:00"))
    # 10:00 + 90 min = 11:30, due at the run ending 12:00; 12:00 + 2 h = 14:00.
    assert steps_reached(crm) == [
        ("o1", "first-wait", "01-05T10:00", "waiting"),
        ("o1", "first-mail", "01-05T12:00", "sent"),
        ("o1", "second-wait", "01-05T12:00", "waiting"),
        ("o1", "second-mail", "01-05T14:00", "sent"),
    ]
    assert [(s[0], s[4]) for s in crm.sends()] == [
        ("01-05T12:00", "first-mail"),
        ("01-05T14:00", "second-mail"),
    ]
    assert crm.enrollments() == [("o1", "01-05T10:00", "completed", "completed")]
    assert crm.rows("select ended_at from enrollments")[0][0].hour == 14


def test_delay_in_days_keeps_the_local_time_of_day_across_a_dst_change(crm):
    # Berlin moves to summer time on 2026-03-29: 11:00 CET on the 28th (10:00Z) plus one day is
    # 11:00 CEST on the 29th, 09:00Z — not 24 hours later.
    crm.journey(
        journey(
            "  - id: wait\n    delay: {days: 1}\n  - id: mail\n    send_email: {template: t}\n",
            timezone="Europe/Berlin",
        )
    )
    crm.events(("e1", "c1", "purchase", "2026-03-28T09:30Z"))
    crm.run("2026-03-28T10:00Z", "2026-03-28T09:00Z")
    [(wake_at,)] = crm.rows("select wake_at from enrollments")
    assert wake_at.isoformat() == "2026-03-29T09:00:00"
    crm.run("2026-03-29T09:00Z")
    assert [(s[0], s[4]) for s in crm.sends()] == [("03-29T09:00", "mail")]


def test_delay_until_a_local_time_on_weekdays_waits_for_the_first_one_strictly_after(crm):
    # 08:00 in New York is 13:00Z in January. o2 reaches the delay at 12:00Z (07:00 local) and
    # goes on at 13:00Z the same Monday; o1 reaches it exactly at 13:00Z (08:00 local), which is
    # not strictly after, so it waits for Wednesday 08:00 (Tuesday is not one of the days).
    crm.journey(
        journey(
            '  - id: wait\n    delay: {until: "08:00", weekdays: [monday, wednesday]}\n'
            "  - id: mail\n    send_email: {template: t}\n",
            timezone="America/New_York",
        )
    )
    crm.events(("e2", "c2", "purchase", at("11:30")), ("e1", "c1", "purchase", at("12:30")))
    crm.run(at("13:00"), at("11:00"))
    assert [(s[0], s[1]) for s in crm.sends()] == [("01-05T13:00", "o2")]
    assert crm.rows("select org_id, status, wake_at from enrollments where status = 'active'") == [
        ("o1", "active", __import__("datetime").datetime(2026, 1, 7, 13))
    ]


# -- wait_for -------------------------------------------------------------------------------

WAIT_FOR_CLICK = (
    "  - id: wait\n"
    "    wait_for: {activity: email_clicked, timeout: {hours: 2}}\n"
    "    then: clicked\n"
    "    else: nudge\n"
    "  - id: nudge\n    send_email: {template: nudge}\n    next: end\n"
    "  - id: clicked\n    send_email: {template: thanks}\n"
)


def test_wait_for_goes_to_then_on_an_activity_after_reaching_and_to_else_at_the_timeout(crm):
    crm.journey(journey(WAIT_FOR_CLICK))
    crm.events(
        ("e1", "c1", "purchase", at("09:30")),
        ("e2", "c2", "purchase", at("09:30")),
        ("k1", "c1", "email_clicked", at("10:30")),  # after o1 reached the wait at 10:00
        ("k2", "c2", "email_clicked", at("09:45")),  # before o2 reached it: does not count
    )
    crm.run(at("13:00"), at("09:00"))
    assert [(s[0], s[1], s[4]) for s in crm.sends()] == [
        ("01-05T11:00", "o1", "clicked"),
        ("01-05T12:00", "o2", "nudge"),
    ]
    assert [row[1:] for row in steps_reached(crm, "o2")] == [
        ("wait", "01-05T10:00", "waiting"),
        ("nudge", "01-05T12:00", "sent"),
    ]


def test_an_activity_beats_a_timeout_that_falls_due_in_the_same_run(crm):
    crm.journey(journey(WAIT_FOR_CLICK))
    crm.events(
        ("e1", "c1", "purchase", at("09:30")),
        ("k1", "c1", "email_clicked", at("11:59")),  # processed by the run at 12:00, the timeout
    )
    crm.run(at("13:00"), at("09:00"))
    assert [(s[0], s[4]) for s in crm.sends()] == [("01-05T12:00", "clicked")]


# -- condition and split --------------------------------------------------------------------


def test_condition_takes_the_first_matching_branch_and_since_entry_counts_from_entry(crm):
    crm.journey(
        journey(
            "  - id: wait\n    delay: {hours: 1}\n"
            "  - id: check\n    condition:\n"
            "      - if: {activity: email_opened, since: entry}\n        goto: warm\n"
            "      - if: {field: tier, op: eq, value: gold}\n        goto: gold\n"
            "      - else: cold\n"
            "  - id: warm\n    exit: {}\n"
            "  - id: gold\n    exit: {}\n"
            "  - id: cold\n    exit: {}\n"
        )
    )
    crm.events(
        ("e1", "c1", "purchase", at("09:30")),
        ("e2", "c2", "purchase", at("09:30")),
        ("e3", "c3", "purchase", at("09:30")),
        ("o-1", "c1", "email_opened", at("10:30")),  # o1: gold too, but the first branch wins
        ("o-2", "c2", "email_opened", at("09:40")),  # o2: before its entry, not since entry
    )
    crm.run(at("11:00"), at("09:00"))
    assert crm.rows(
        "select org_id, step_id, outcome from enrollment_steps "
        "where step_id = 'check' order by org_id"
    ) == [("o1", "check", "goto:warm"), ("o2", "check", "goto:gold"), ("o3", "check", "goto:cold")]
    assert crm.rows("select org_id, current_step_id, status from enrollments order by org_id") == [
        ("o1", "warm", "completed"),
        ("o2", "gold", "completed"),
        ("o3", "cold", "completed"),
    ]


def test_split_is_a_deterministic_hash_of_enrollment_and_step_and_roughly_proportional(
    scenario,
):
    scenario.orgs(*({"org_id": f"org{n:03d}", "tier": "gold"} for n in range(300)))
    scenario.journey(
        journey(
            "  - id: pick\n    split:\n"
            "      - {percent: 30, goto: small}\n      - {percent: 70, goto: large}\n"
            "  - id: small\n    exit: {}\n  - id: large\n    exit: {}\n",
            entry="  when: filter\n  filter: {field: tier, op: eq, value: gold}\n",
        )
    )
    scenario.run(at("10:00"), at("09:00"))
    branches = scenario.rows(
        "select enrollment_id, current_step_id, "
        "cast(('0x' || substr(md5(enrollment_id || '|pick'), 1, 8)) as bigint) % 100 "
        "from enrollments"
    )
    assert len(branches) == 300
    # The same enrollment id always takes the same branch: its hash bucket decides.
    assert all((step == "small") == (bucket < 30) for _, step, bucket in branches)
    small = sum(step == "small" for _, step, _ in branches)
    assert 60 <= small <= 120  # 30% of 300 is 90


# -- organization updates -------------------------------------------------------------------

UPDATES = (
    "  - id: mark\n    tag_org: {add: [Hot, trial], remove: [cold]}\n"
    "  - id: upgrade\n    update_org: {field: tier, value: diamond}\n"
    "  - id: correct\n    update_org: {field: tier, value: platinum}\n"
    "  - id: unmark\n    tag_org: {remove: [trial]}\n"
    "  - id: check\n    condition:\n"
    "      - if:\n          all:\n"
    "            - {tag: hot}\n            - {not: {tag: cold}}\n            - {not: {tag: trial}}\n"
    "            - {field: tier, op: eq, value: platinum}\n"
    "        goto: seen\n"
    "      - else: unseen\n"
    "  - id: seen\n    exit: {}\n"
    "  - id: unseen\n    exit: {}\n"
)


def test_tag_org_and_update_org_write_org_updates_that_later_steps_of_the_run_see(crm):
    crm.journey(journey(UPDATES))
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert crm.rows(
        "select strftime(run_at, '%H:%M'), org_id, journey_id, step_id, kind, name, value "
        "from org_updates order by step_seq, seq"
    ) == [
        ("10:00", "o1", "j", "mark", "tag_add", "hot", ""),
        ("10:00", "o1", "j", "mark", "tag_add", "trial", ""),
        ("10:00", "o1", "j", "mark", "tag_remove", "cold", ""),
        ("10:00", "o1", "j", "upgrade", "field", "tier", "diamond"),
        ("10:00", "o1", "j", "correct", "field", "tier", "platinum"),
        ("10:00", "o1", "j", "unmark", "tag_remove", "trial", ""),
    ]
    # The condition saw every update, and of two updates of one field the later one.
    assert crm.rows("select current_step_id, status from enrollments") == [("seen", "completed")]


def test_org_updates_are_seen_by_later_windows_until_a_newer_crm_snapshot(crm):
    crm.journey(journey(UPDATES))
    # Enters when an organization starts having the tag `hot` (an edge, so each entry shows
    # that the tag appeared since the previous run).
    crm.journey(
        journey(
            "  - id: done\n    exit: {}\n",
            journey_id="hot",
            entry="  when: tags\n  tags: [hot]\n",
        )
    )
    crm.events(("e1", "c1", "purchase", at("09:30")))
    # The CRM does not know `hot` at 11:30; by 12:30 it has written it back.
    crm.orgs({"org_id": "o1", "tags": ["cold"]}, at=at("11:30"))
    crm.orgs({"org_id": "o1", "tags": ["hot"]}, at=at("12:30"))
    crm.run(at("14:00"), at("09:00"))
    # 10:00 tag set by a step; 11:00 seen; 12:00 the snapshot says otherwise; 13:00 seen again.
    assert [e[1] for e in crm.enrollments("hot")] == ["01-05T11:00", "01-05T13:00"]


# -- exit and next --------------------------------------------------------------------------


def test_an_exit_step_ends_the_enrollment_completed_and_no_later_step_runs(crm):
    crm.journey(
        journey(
            "  - id: hello\n    send_email: {template: hello}\n"
            "  - id: stop\n    exit: {}\n"
            "  - id: never\n    send_email: {template: never}\n"
        )
    )
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("11:00"), at("09:00"))
    assert crm.enrollments() == [("o1", "01-05T10:00", "completed", "completed")]
    assert [row[1] for row in steps_reached(crm)] == ["hello", "stop"]
    assert [s[4] for s in crm.sends()] == ["hello"]


def test_next_overrides_the_list_order_and_next_end_completes(crm):
    crm.journey(
        journey(
            "  - id: first\n    send_email: {template: first}\n    next: third\n"
            "  - id: second\n    send_email: {template: second}\n"
            "  - id: third\n    send_email: {template: third}\n    next: end\n"
            "  - id: fourth\n    send_email: {template: fourth}\n"
        )
    )
    crm.events(("e1", "c1", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert [s[4] for s in crm.sends()] == ["first", "third"]
    assert crm.rows("select current_step_id, status, end_reason from enrollments") == [
        ("third", "completed", "completed")
    ]
