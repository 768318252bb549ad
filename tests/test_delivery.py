"""Delivery rules and holdouts (SPEC section 3): quiet hours, frequency caps, holdouts, lift.

Each through the CLI with the smallest data that shows the rule, asserting exact outcomes.
"""

from __future__ import annotations

import math

import pytest

from orgjourney_pipeline.journeys import parse_delivery_text
from orgjourney_pipeline.journeys.delivery import holdout_bucket


def journey(
    journey_id: str = "j",
    *,
    steps: str = "  - id: mail\n    send_email: {template: hello}\n",
    extra: str = "",
    version: int = 1,
    activity: str = "purchase",
) -> str:
    return (
        f"id: {journey_id}\nname: Journey {journey_id}\nversion: {version}\nstate: published\n"
        f"frequency: every_time\nentry: {{when: activity, activity: {activity}}}\n"
        f"{extra}steps:\n{steps}"
    )


QUIET_HOURS = "send_window: {from: '08:00', to: '20:00', timezone: organization}\n"


def one_contact_each(scenario, *orgs: tuple[str, str | None]) -> None:
    """Organizations (id, time zone), each with one contact `c<org>` that has an email."""
    scenario.orgs(*({"org_id": o, "name": o, "timezone": tz} for o, tz in orgs))
    scenario.contacts(*({"contact_id": f"c{o}", "email": f"{o}@x.test"} for o, _ in orgs))
    scenario.members(*((f"c{o}", o) for o, _ in orgs))


# -- quiet hours --------------------------------------------------------------------------------


def test_a_send_reached_at_21_local_is_held_to_08_local_in_each_organizations_zone(scenario):
    """Berlin (UTC+1) reaches the send at 20:00Z = 21:00 local, New York (UTC-5) at 02:00Z =
    21:00 local: each is held, recorded `held`, and sent at the first run at or after 08:00
    local (07:00Z and 13:00Z), to the recipients as of that run."""
    one_contact_each(scenario, ("ber", "Europe/Berlin"), ("ny", "America/New_York"))
    scenario.journey(journey(extra=QUIET_HOURS))
    scenario.events(
        ("e1", "cber", "purchase", "2026-01-05T19:30Z"),
        ("e2", "cny", "purchase", "2026-01-06T01:30Z"),
    )
    scenario.run("2026-01-06T06:00Z", "2026-01-05T18:00Z")
    assert scenario.sends() == []
    assert scenario.rows(
        "select org_id, strftime(wake_at, '%dT%H') from enrollments order by org_id"
    ) == [("ber", "06T07"), ("ny", "06T13")]
    scenario.run("2026-01-06T14:00Z")
    assert scenario.sends() == [
        ("01-06T07:00", "ber", "cber", "email", "mail"),
        ("01-06T13:00", "ny", "cny", "email", "mail"),
    ]
    assert scenario.rows(
        "select org_id, step_id, strftime(reached_at, '%dT%H'), outcome from enrollment_steps"
        " order by org_id, reached_at"
    ) == [
        ("ber", "mail", "05T20", "held"),
        ("ber", "mail", "06T07", "sent"),
        ("ny", "mail", "06T02", "held"),
        ("ny", "mail", "06T13", "sent"),
    ]


def test_a_held_send_opens_at_08_local_across_a_daylight_saving_change(scenario):
    """New York springs forward on 8 March 2026: held at 21:00 EST (02:00Z), the window opens
    at 08:00 EDT, 12:00Z (not 13:00Z, eleven hours on)."""
    one_contact_each(scenario, ("ny", "America/New_York"))
    scenario.journey(journey(extra=QUIET_HOURS))
    scenario.events(("e1", "cny", "purchase", "2026-03-08T01:30Z"))
    scenario.run("2026-03-08T12:00Z", "2026-03-08T01:00Z")
    assert scenario.sends() == [("03-08T12:00", "ny", "cny", "email", "mail")]


def test_an_organization_without_a_time_zone_uses_the_journeys(scenario):
    """No `timezone` (or one that is not an IANA zone): the journey's zone, here UTC."""
    one_contact_each(scenario, ("a", None), ("b", "Mars/Olympus"))
    scenario.journey(journey(extra=QUIET_HOURS))
    scenario.events(
        ("e1", "ca", "purchase", "2026-01-06T06:30Z"), ("e2", "cb", "purchase", "2026-01-06T06:30Z")
    )
    scenario.run("2026-01-06T08:00Z", "2026-01-06T06:00Z")
    assert [row[:3] for row in scenario.sends()] == [
        ("01-06T08:00", "a", "ca"),
        ("01-06T08:00", "b", "cb"),
    ]


def test_a_window_spanning_midnight_belongs_to_the_weekday_it_opened(scenario):
    """22:00-02:00 on Mondays (UTC): reached at 21:00 Monday, held to 22:00; at 01:00 Tuesday,
    inside Monday's window; at 03:00 Tuesday, held to 22:00 on the next Monday."""
    one_contact_each(scenario, ("a", None), ("b", None), ("c", None))
    window = "send_window: {from: '22:00', to: '02:00', weekdays: [monday]}\n"
    scenario.journey(journey(extra=window))
    scenario.events(
        ("e1", "cb", "purchase", "2026-01-05T20:30Z"),
        ("e2", "ca", "purchase", "2026-01-06T00:30Z"),
        ("e3", "cc", "purchase", "2026-01-06T02:30Z"),
    )
    scenario.run("2026-01-06T04:00Z", "2026-01-05T20:00Z")
    assert [row[:3] for row in scenario.sends()] == [
        ("01-05T22:00", "b", "cb"),
        ("01-06T01:00", "a", "ca"),
    ]
    assert scenario.rows(
        "select org_id, strftime(wake_at, '%m-%dT%H') from enrollments where status = 'active'"
    ) == [("c", "01-12T22")]


# -- frequency caps -----------------------------------------------------------------------------


def delivery(scenario, text: str) -> None:
    (scenario.paths["journeys"] / "delivery.yaml").write_text(text)


def suppressions(scenario) -> list[tuple]:
    return scenario.rows(
        "select strftime(run_at, '%m-%dT%H:%M'), journey_id, contact_id, reason"
        " from suppressions order by run_at, journey_id, contact_id"
    )


def test_two_journeys_reaching_a_cap_in_one_run_send_the_higher_prioritys(scenario):
    """Cap: one email a day. Journeys `a` (priority 0) and `b` (priority 5) send to c1 in the
    same run: `b`'s is made, `a`'s is `frequency_capped`, and `a`'s enrollment moves on as if
    it had sent (it completes)."""
    one_contact_each(scenario, ("o1", None))
    delivery(scenario, "caps:\n  - {channel: email, max: 1, per: day}\n")
    scenario.journey(journey("a"))
    scenario.journey(journey("b", extra="priority: 5\n"))
    scenario.events(("e1", "co1", "purchase", "2026-01-05T09:30Z"))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert scenario.sends() == [("01-05T10:00", "o1", "co1", "email", "mail")]
    assert scenario.rows("select journey_id from sends") == [("b",)]
    assert suppressions(scenario) == [("01-05T10:00", "a", "co1", "frequency_capped")]
    assert scenario.enrollments("a") == [("o1", "01-05T10:00", "completed", "completed")]


def test_equal_priorities_compete_by_journey_id(scenario):
    """Same priority: the journey id decides (`a` before `b`)."""
    one_contact_each(scenario, ("o1", None))
    delivery(scenario, "caps:\n  - {channel: email, max: 1, per: day}\n")
    scenario.journey(journey("b"))
    scenario.journey(journey("a"))
    scenario.events(("e1", "co1", "purchase", "2026-01-05T09:30Z"))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert scenario.rows("select journey_id from sends") == [("a",)]
    assert [row[1] for row in suppressions(scenario)] == ["b"]


def test_a_weekly_cap_counts_earlier_runs_in_the_calendar_week_of_its_time_zone(scenario):
    """One email a week in Berlin: the send of Sunday 22:00Z (23:00 Sunday in Berlin) is made;
    23:00Z is 00:00 Monday in Berlin, a new week: made; Monday 01:00Z, the same week: capped."""
    one_contact_each(scenario, ("o1", None))
    delivery(scenario, "caps:\n  - {channel: email, max: 1, per: week}\ntimezone: Europe/Berlin\n")
    scenario.journey(journey("a"))
    scenario.events(
        ("e1", "co1", "purchase", "2026-01-11T21:30Z"),
        ("e2", "co1", "purchase", "2026-01-11T22:30Z"),
        ("e3", "co1", "purchase", "2026-01-12T00:30Z"),
    )
    scenario.run("2026-01-12T01:00Z", "2026-01-11T21:00Z")
    assert [row[0] for row in scenario.sends()] == ["01-11T22:00", "01-11T23:00"]
    assert suppressions(scenario) == [("01-12T01:00", "a", "co1", "frequency_capped")]


def test_an_exempt_journey_is_neither_capped_nor_counted(scenario):
    """One email a day: the exempt journey `t` sends whatever the cap, and does not count; so
    `a` still sends once that day, and its second send is capped."""
    one_contact_each(scenario, ("o1", None))
    delivery(scenario, "caps:\n  - {channel: email, max: 1, per: day}\n")
    scenario.journey(journey("t", extra="frequency_cap: exempt\npriority: 9\n"))
    scenario.journey(journey("a"))
    scenario.events(
        ("e1", "co1", "purchase", "2026-01-05T09:30Z"),
        ("e2", "co1", "purchase", "2026-01-05T11:30Z"),
    )
    scenario.run("2026-01-05T12:00Z", "2026-01-05T09:00Z")
    assert scenario.rows(
        "select strftime(run_at, '%H'), journey_id, counts_toward_caps from sends order by 1, 2"
    ) == [("10", "a", True), ("10", "t", False), ("12", "t", False)]
    assert suppressions(scenario) == [("01-05T12:00", "a", "co1", "frequency_capped")]


def test_an_earlier_suppression_reason_comes_before_the_cap(scenario):
    """A contact without an email is `no_email`, not `frequency_capped`, and does not take
    the place of one that has an address."""
    scenario.orgs({"org_id": "o1", "name": "o1"})
    scenario.contacts({"contact_id": "c1", "email": "c1@x.test"}, {"contact_id": "c2"})
    scenario.members(("c1", "o1"), ("c2", "o1"))
    delivery(scenario, "caps:\n  - {channel: email, max: 0, per: day}\n")
    scenario.journey(journey("a"))
    scenario.events(("e1", "c1", "purchase", "2026-01-05T09:30Z"))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert [row[2:] for row in suppressions(scenario)] == [
        ("c1", "frequency_capped"),
        ("c2", "no_email"),
    ]


# -- delivery.yaml ------------------------------------------------------------------------------


def test_delivery_yaml_problems_are_file_line_messages_and_stop_the_run(scenario, orgjourney):
    """`validate` names each problem at its line with a did-you-mean; `run` processes no
    window until the file is fixed."""
    one_contact_each(scenario, ("o1", None))
    scenario.journey(journey("a"))
    delivery(
        scenario,
        "caps:\n  - {channel: emial, max: 3, per: week}\n  - {channel: sms, max: -1, per: day}\n"
        "timezone: Europe/Berln\nglobal_holdot: {percent: 5}\n",
    )
    result = orgjourney("validate", expect_exit=1)
    path = scenario.paths["journeys"] / "delivery.yaml"
    for line in (
        f"{path}:2: caps[0].channel: 'emial' is not one of: email, sms (did you mean 'email'?)",
        f"{path}:3: caps[1].max: must be at least 0",
        f"{path}:4: timezone: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)",
        f"{path}:5: delivery: unknown key 'global_holdot' (did you mean 'global_holdout'?)",
    ):
        assert line in result.output
    scenario.events(("e1", "co1", "purchase", "2026-01-05T09:30Z"))
    result = scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z", expect_exit=1)
    assert "no window runs until delivery.yaml is fixed" in result.output
    assert scenario.rows("select count(*) from runs") == [(0,)]


def test_the_delivery_file_is_not_read_as_a_journey(scenario, orgjourney):
    scenario.journey(journey("a"))
    delivery(scenario, "caps:\n  - {channel: email, max: 3, per: week}\n")
    result = orgjourney("validate", "--json")
    assert '"journeys": [\n    "a"\n  ]' in result.output or '"journeys": ["a"]' in result.output


# -- holdouts -----------------------------------------------------------------------------------


def holdout_journey(version: int, percent: float = 10) -> str:
    return (
        f"id: h\nname: Holdout\nversion: {version}\nstate: published\nfrequency: every_time\n"
        "entry: {when: recurring, every: day, at: '09:00'}\n"
        f"holdout: {{percent: {percent}}}\n"
        "attribution: {activity: purchase, within_days: 2}\n"
        "steps:\n  - id: mark\n    tag_org: {add: [treated]}\n"
    )


def test_a_holdout_is_about_its_percent_and_the_same_organizations_at_every_entry_and_version(
    scenario,
):
    """1,000 organizations enter daily; 10 % by the hash of journey and organization form the
    control group (about 100, within 4 standard deviations), recorded with is_holdout and
    ended at once (`holdout`) without steps or updates; version 2 holds out the same ones."""
    orgs = [f"o{i}" for i in range(1000)]
    scenario.orgs(*({"org_id": o, "name": o} for o in orgs))
    scenario.journey(holdout_journey(1))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T08:00Z")
    scenario.journey(holdout_journey(2))
    scenario.run("2026-01-06T10:00Z")
    expected = {o for o in orgs if holdout_bucket("h", o) < 1000}
    assert abs(len(expected) - 100) <= 4 * math.sqrt(1000 * 0.1 * 0.9)
    by_version = {
        version: {
            org
            for (org,) in scenario.rows(
                "select org_id from enrollments where is_holdout and journey_version = ?", version
            )
        }
        for version in (1, 2)
    }
    assert by_version == {1: expected, 2: expected}
    assert scenario.rows(
        "select distinct status, end_reason, current_step_id from enrollments where is_holdout"
    ) == [("completed", "holdout", None)]
    assert scenario.rows(
        "select count(*) from enrollment_steps join enrollments using (enrollment_id)"
        " where is_holdout"
    ) == [(0,)]
    assert scenario.rows("select count(distinct org_id) from org_updates") == [
        (1000 - len(expected),)
    ]


def test_a_holdout_converts_by_the_attribution_rule(scenario):
    """The control group's enrollment converts like any other (for the lift)."""
    held = next(f"o{i}" for i in range(100) if holdout_bucket("h", f"o{i}") < 5000)
    treated = next(f"o{i}" for i in range(100) if holdout_bucket("h", f"o{i}") >= 5000)
    one_contact_each(scenario, (held, None), (treated, None))
    scenario.journey(holdout_journey(1, percent=50))
    scenario.events(
        ("e1", f"c{held}", "purchase", "2026-01-05T11:30Z"),
        ("e2", f"c{treated}", "purchase", "2026-01-05T11:30Z"),
    )
    scenario.run("2026-01-05T12:00Z", "2026-01-05T08:00Z")
    assert scenario.rows(
        "select conversions.org_id, is_holdout, last_step_id from conversions join enrollments"
        " using (enrollment_id) order by is_holdout"
    ) == [(treated, False, "mark"), (held, True, None)]


def test_report_html_has_a_lift_section_with_the_interval(scenario, orgjourney, tmp_path):
    """One treated organization converts, the held-out one does not: 1 / 1 against 0 / 1."""
    held = next(f"o{i}" for i in range(100) if holdout_bucket("h", f"o{i}") < 5000)
    treated = next(f"o{i}" for i in range(100) if holdout_bucket("h", f"o{i}") >= 5000)
    one_contact_each(scenario, (held, None), (treated, None))
    scenario.journey(holdout_journey(1, percent=50))
    scenario.events(("e1", f"c{treated}", "purchase", "2026-01-05T11:30Z"))
    scenario.run("2026-01-05T12:00Z", "2026-01-05T08:00Z")
    page = tmp_path / "report.html"
    orgjourney("report", "--html", str(page))
    html = page.read_text()
    lift = html[html.index("<h2>Lift (holdouts)</h2>") : html.index("<h2>Journeys</h2>")]
    assert "<td>h v1</td>" in lift
    assert "1 / 1 = 100.0%" in lift and "0 / 1 = 0.0%" in lift
    assert "+100.0 pts (+100.0 pts .. +100.0 pts)" in lift


def test_the_global_holdout_enters_no_journey_and_active_enrollments_go_on(scenario):
    """With a global holdout of 100 %, nobody enters from the next run; the enrollment that
    entered before waits out its delay and sends."""
    one_contact_each(scenario, ("o1", None), ("o2", None))
    steps = "  - id: wait\n    delay: {hours: 2}\n  - id: mail\n    send_email: {template: hello}\n"
    scenario.journey(journey("a", steps=steps))
    scenario.events(("e1", "co1", "purchase", "2026-01-05T09:30Z"))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    delivery(scenario, "global_holdout: {percent: 100}\n")
    scenario.events(("e2", "co2", "purchase", "2026-01-05T10:30Z"))
    scenario.run("2026-01-05T12:00Z")
    assert scenario.enrollments("a") == [("o1", "01-05T10:00", "completed", "completed")]
    assert scenario.sends() == [("01-05T12:00", "o1", "co1", "email", "mail")]


def test_the_global_holdout_is_the_organizations_hash():
    """About P % of organizations, by a hash of the organization alone."""
    held = [o for o in (f"o{i}" for i in range(1000)) if holdout_bucket(o) < 500]
    assert abs(len(held) - 50) <= 4 * math.sqrt(1000 * 0.05 * 0.95)


# -- journey_lift -------------------------------------------------------------------------------


def test_journey_lift_on_a_hand_computed_example(con):
    """10 treated (4 converted) and 5 held out (1 converted): rates 0.4 and 0.2, difference
    0.2, standard error sqrt(0.4·0.6/10 + 0.2·0.8/5) = sqrt(0.056), interval 0.2 ± 1.96·that,
    relative lift 0.2 / 0.2 = 1."""
    rows = [(f"t{i}", False, i < 4) for i in range(10)] + [(f"h{i}", True, i < 1) for i in range(5)]
    for enrollment_id, is_holdout, converted in rows:
        con.execute(
            "insert into ended_enrollments (enrollment_id, journey_id, journey_version, org_id,"
            " entered_at, status, ended_at, end_reason, is_holdout) values"
            " (?, 'j', 1, ?, '2026-01-05 10:00', 'completed', '2026-01-05 10:00', ?, ?)",
            [enrollment_id, enrollment_id, "holdout" if is_holdout else "completed", is_holdout],
        )
        if converted:
            con.execute(
                "insert into conversions (enrollment_id, journey_id, journey_version, org_id,"
                " event_id, contact_id, converted_at, run_at) values"
                " (?, 'j', 1, ?, ?, 'c', '2026-01-05 11:00', '2026-01-05 12:00')",
                [enrollment_id, enrollment_id, f"e{enrollment_id}"],
            )
    [row] = con.execute("select * from journey_lift").fetchall()
    error = math.sqrt(0.056)
    expected = ("j", 1, 10, 4, 5, 1, 0.4, 0.2, 0.2, 0.2 - 1.96 * error, 0.2 + 1.96 * error, 1.0)
    assert row[:6] == expected[:6]
    assert row[6:] == pytest.approx(expected[6:], abs=1e-12)
    comment = con.execute(
        "select comment from duckdb_views() where view_name = 'journey_lift'"
    ).fetchall()
    assert comment[0][0].startswith("One row per journey version")


# -- the demo -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_sends_no_contact_more_than_its_caps_allow(orgjourney, cli_paths):
    """The bundled journeys come with a delivery.yaml: after `demo`, no contact has more sends
    that count than a cap allows in any UTC day, and quiet hours held some sends."""
    orgjourney("demo")
    rules, _ = parse_delivery_text((cli_paths["journeys"] / "delivery.yaml").read_text(), "d")
    daily = {cap.channel: cap.max for cap in rules.caps if cap.per == "day"}
    assert daily == {"email": 2, "sms": 1}
    import duckdb

    with duckdb.connect(str(cli_paths["warehouse"]), read_only=True) as con:
        most = dict(
            con.execute(
                "select channel, max(n) from (select contact_id, channel, count(*) as n"
                " from sends where counts_toward_caps"
                " group by contact_id, channel, date_trunc('day', run_at)) group by channel"
            ).fetchall()
        )
        held = con.execute("select count(*) from enrollment_steps where outcome = 'held'")
        assert held.fetchone()[0] > 0
    assert all(most[channel] <= daily[channel] for channel in most)


def test_the_bundled_delivery_rules_are_valid_and_meet_their_json_schema():
    import json
    from pathlib import Path

    import jsonschema
    from ruamel.yaml import YAML

    root = Path(__file__).resolve().parents[1]
    path = root / "data" / "journeys" / "delivery.yaml"
    rules, problems = parse_delivery_text(path.read_text(), str(path))
    assert problems == [] and len(rules.caps) == 3
    schema = json.loads((root / "delivery.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(YAML(typ="safe").load(path.read_text()))) == []
    wrong = {"caps": [{"channel": "email", "max": 3, "per": "month"}], "timzone": "UTC"}
    assert len(list(validator.iter_errors(wrong))) == 2


def test_a_journeys_delivery_keys_are_checked_at_their_lines():
    from orgjourney_pipeline.journeys import parse_journey_text

    text = journey(
        extra="send_window: {from: '08:00', to: '08:00', timezone: organisation}\n"
        "frequency_cap: exemt\npriority: 1.5\nholdout: {percent: 12.345}\n"
    )
    _, problems = parse_journey_text(text, "j.yaml")
    assert sorted((p.line, p.message) for p in problems) == [
        (
            7,
            "send_window.timezone: expected `organization` or `journey`, got 'organisation'"
            " (did you mean 'organization'?)",
        ),
        (7, "send_window: 'from' and 'to' must differ"),
        (8, "frequency_cap: expected `exempt`, got 'exemt' (did you mean 'exempt'?)"),
        (9, "journey.priority: expected a whole number"),
        (10, "holdout.percent: at most two decimals"),
    ]


def test_delivery_keys_are_in_the_definition_only_when_set():
    """A journey that sets none keeps the definition (and hash) it had before they existed;
    setting one is a change of definition (a new version to publish)."""
    from orgjourney_pipeline.journeys import parse_journey_text

    plain, _ = parse_journey_text(journey(), "j.yaml")
    quiet, _ = parse_journey_text(journey(extra=QUIET_HOURS + "priority: 2\n"), "j.yaml")
    assert not {"send_window", "priority", "frequency_cap", "holdout"} & set(plain.definition())
    assert quiet.definition()["send_window"] == {
        "from": "08:00",
        "to": "20:00",
        "timezone": "organization",
    }
    assert quiet.definition_hash() != plain.definition_hash()


def test_validate_given_the_delivery_file_reads_it_as_delivery_rules(scenario, orgjourney):
    delivery(scenario, "caps:\n  - {channel: email, max: 3, per: wek}\n")
    path = scenario.paths["journeys"] / "delivery.yaml"
    result = orgjourney("validate", str(path), expect_exit=1)
    assert f"{path}:2: caps[0].per: 'wek' is not one of: day, week (did you mean 'week'?)" in (
        result.output
    )
    assert "'id' is required" not in result.output  # not read as a journey
