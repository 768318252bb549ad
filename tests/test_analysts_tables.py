"""The analysts' tables (SPEC section 4): `runs.counts` in user-facing terms, the holdouts of
`journey_summary`, the step positions of `journey_funnel`.

One journey enters on a form: half the organizations (by the holdout hash) are held out, the
others are tagged, get a field set and an email; an organization without an email address is
suppressed. Every expected value is read back from the tables the windows wrote.
"""

from __future__ import annotations

import json

import pytest

from orgjourney_pipeline.journeys.delivery import holdout_bucket

JOURNEY = """\
id: welcome
name: Welcome
version: 1
state: published
entry: {when: activity, activity: form_submitted}
holdout: {percent: 50}
steps:
  - id: mark
    tag_org: {add: [hot]}
  - id: upgrade
    update_org: {field: tier, value: gold}
  - id: mail
    send_email: {template: welcome}
"""
ORGS = [f"o{i}" for i in range(8)]
COUNT_KEYS = {
    "entered",
    "held_out",
    "exited",
    "completed",
    "sends",
    "suppressions",
    "frequency_capped",
    "conversions",
    "org_updates",
    "unsubscribes",
}


@pytest.fixture
def ran(scenario):
    scenario.orgs(*({"org_id": org, "tier": "bronze"} for org in ORGS))
    # The last organization's contact has no email address: its send is suppressed.
    scenario.contacts(
        *(
            {"contact_id": f"c{org}", "email": "" if org == ORGS[-1] else f"{org}@x.test"}
            for org in ORGS
        )
    )
    scenario.members(*((f"c{org}", org) for org in ORGS))
    scenario.journey(JOURNEY)
    scenario.events(
        *(
            (f"f{org}", f"c{org}", "form_submitted", f"2026-01-05T{9 + i % 2:02d}:30Z")
            for i, org in enumerate(ORGS)
        )
    )
    scenario.run("2026-01-05T11:00Z", "2026-01-05T09:00Z")
    assert {holdout_bucket("welcome", org) < 5000 for org in ORGS} == {True, False}
    return scenario


def test_runs_counts_say_what_each_window_wrote_in_user_facing_terms(ran):
    windows = ran.rows("select window_end, counts from runs order by window_end")
    assert len(windows) == 2
    for window_end, counts in windows:
        counts = json.loads(counts)
        assert set(counts) == COUNT_KEYS

        def count(sql: str, window_end=window_end) -> int:
            return ran.rows(sql, window_end)[0][0]

        assert counts == {
            "entered": count("select count(*) from enrollments where entered_at = ?"),
            "held_out": count(
                "select count(*) from enrollments where entered_at = ? and is_holdout"
            ),
            "exited": count(
                "select count(*) from enrollments where ended_at = ? and status = 'exited'"
            ),
            "completed": count(
                "select count(*) from enrollments"
                " where ended_at = ? and status = 'completed' and not is_holdout"
            ),
            "sends": count("select count(*) from sends where run_at = ?"),
            "suppressions": count("select count(*) from suppressions where run_at = ?"),
            "frequency_capped": count(
                "select count(*) from suppressions where run_at = ? and reason = 'frequency_capped'"
            ),
            "conversions": count("select count(*) from conversions where run_at = ?"),
            "org_updates": count("select count(*) from org_updates where run_at = ?"),
            "unsubscribes": count("select count(*) from unsubscribes where run_at = ?"),
        }
    totals = {key: sum(json.loads(c)[key] for _, c in windows) for key in COUNT_KEYS}
    held = sum(holdout_bucket("welcome", org) < 5000 for org in ORGS)
    treated = len(ORGS) - held
    assert (totals["entered"], totals["held_out"]) == (len(ORGS), held)
    assert totals["org_updates"] == 2 * treated  # a tag and a field each
    assert totals["sends"] + totals["suppressions"] == treated


def test_run_json_gives_each_windows_ledger_counts(scenario):
    scenario.orgs({"org_id": "o1"})
    scenario.journey(JOURNEY)
    done = scenario.run("2026-01-05T11:00Z", "2026-01-05T09:00Z", "--json")
    document = json.loads(done.output)
    ledger = scenario.rows("select counts from runs order by window_end")
    assert [window["counts"] for window in document["windows"]] == [
        json.loads(counts) for (counts,) in ledger
    ]


def test_journey_summary_counts_the_enrollments_held_out(ran):
    [(entered, completed, held_out)] = ran.rows(
        "select entered, completed, held_out from journey_summary where journey_id = 'welcome'"
    )
    [(expected,)] = ran.rows(
        "select count(*) from enrollments where journey_id = 'welcome' and is_holdout"
    )
    assert held_out == expected == sum(holdout_bucket("welcome", org) < 5000 for org in ORGS)
    assert entered == len(ORGS) and completed >= held_out


def test_journey_funnel_lists_each_step_at_its_position(ran):
    rows = ran.rows(
        "select position, step_id, reached from journey_funnel"
        " where journey_id = 'welcome' order by position"
    )
    assert [(position, step) for position, step, _ in rows] == [
        (1, "mark"),
        (2, "upgrade"),
        (3, "mail"),
    ]
    [(treated,)] = ran.rows("select count(*) from enrollments where not is_holdout")
    assert [reached for *_, reached in rows] == [treated] * 3
