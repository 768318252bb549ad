"""Delivery rules and holdouts (SPEC section 3): quiet hours, frequency caps, holdouts, lift.

Each through the CLI with the smallest data that shows the rule, asserting exact outcomes.
"""

from __future__ import annotations


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
    scenario.run("2026-03-08T14:00Z", "2026-03-08T00:00Z")
    assert scenario.sends() == [("03-08T12:00", "ny", "cny", "email", "mail")]


def test_an_organization_without_a_time_zone_uses_the_journeys(scenario):
    """No `timezone` (or one that is not an IANA zone): the journey's zone, here UTC."""
    one_contact_each(scenario, ("a", None), ("b", "Mars/Olympus"))
    scenario.journey(journey(extra=QUIET_HOURS))
    scenario.events(
        ("e1", "ca", "purchase", "2026-01-05T20:30Z"), ("e2", "cb", "purchase", "2026-01-05T20:30Z")
    )
    scenario.run("2026-01-06T09:00Z", "2026-01-05T20:00Z")
    assert [row[:3] for row in scenario.sends()] == [
        ("01-06T08:00", "a", "ca"),
        ("01-06T08:00", "b", "cb"),
    ]


def test_a_window_spanning_midnight_belongs_to_the_weekday_it_opened(scenario):
    """22:00-02:00 on Mondays (UTC): a send reached at 01:00 Tuesday is inside (Monday's
    window); one reached at 03:00 Tuesday waits for Monday 22:00 the next week."""
    one_contact_each(scenario, ("a", None), ("b", None))
    window = "send_window: {from: '22:00', to: '02:00', weekdays: [monday]}\n"
    scenario.journey(journey(extra=window))
    scenario.events(
        ("e1", "ca", "purchase", "2026-01-06T00:30Z"), ("e2", "cb", "purchase", "2026-01-06T02:30Z")
    )
    scenario.run("2026-01-12T22:00Z", "2026-01-06T00:00Z")
    assert [row[:3] for row in scenario.sends()] == [
        ("01-06T01:00", "a", "ca"),
        ("01-12T22:00", "b", "cb"),
    ]
