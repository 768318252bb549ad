"""Recipients, suppressions, unsubscribe scopes, stable ids, exports and preview (SPEC 3-5)."""

from __future__ import annotations

import csv
from datetime import datetime

import pyarrow.parquet as pq
import pytest

DAY = "2026-01-05"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


ENTRY = "entry:\n  when: activity\n  activity: purchase\n"


def journey(steps: str, *, extra: str = "", journey_id: str = "j") -> str:
    return (
        f"id: {journey_id}\nname: Test\nversion: 1\nstate: published\nfrequency: every_time\n"
        f"{ENTRY}{extra}steps:\n{steps}"
    )


EMAIL = "  - id: mail\n    send_email: {template: hello}\n"
SMS = "  - id: text\n    send_sms: {template: hello-sms}\n"


@pytest.fixture
def crm(scenario):
    """One organization with contacts that exercise every suppression reason."""
    scenario.orgs({"org_id": "o1", "name": "Acme"}, {"org_id": "o2", "name": "Beta"})
    scenario.contacts(
        {
            "contact_id": "ok",
            "email": "ok@acme.test",
            "phone": "+1555",
            "sms_opt_in": True,
            "first_name": "Ann",
            "role": "buyer",
        },
        {
            "contact_id": "global",
            "email": "g@acme.test",
            "phone": "+1556",
            "sms_opt_in": True,
            "first_name": "Gus",
            "role": "buyer",
        },
        {
            "contact_id": "news",
            "email": "n@acme.test",
            "phone": "+1557",
            "sms_opt_in": True,
            "first_name": "Nia",
            "role": "user",
        },
        {
            "contact_id": "noaddr",
            "email": "",
            "phone": "",
            "sms_opt_in": True,
            "first_name": "Ned",
            "role": "user",
        },
        {
            "contact_id": "noopt",
            "email": "x@acme.test",
            "phone": "+1558",
            "sms_opt_in": False,
            "first_name": "Olly",
            "role": "user",
        },
        {
            "contact_id": "beta",
            "email": "b@beta.test",
            "phone": "+1559",
            "sms_opt_in": True,
            "first_name": "Bea",
            "role": "buyer",
        },
    )
    scenario.members(
        ("ok", "o1"),
        ("global", "o1"),
        ("news", "o1"),
        ("noaddr", "o1"),
        ("noopt", "o1"),
        ("beta", "o2"),
    )
    scenario.subscriptions(
        ("global", "*", "unsubscribed"),
        ("news", "newsletter", "unsubscribed"),
        ("ok", "newsletter", "subscribed"),
    )
    return scenario


def suppressed(scenario) -> list[tuple]:
    return scenario.rows(
        "select contact_id, channel, reason from suppressions order by contact_id, channel"
    )


def test_send_to_everyone_and_each_suppression_reason(crm):
    crm.journey(journey(EMAIL + SMS, extra="unsubscribe: {audience: newsletter}\n"))
    crm.events(("e1", "ok", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert crm.sends() == [
        ("01-05T10:00", "o1", "noopt", "email", "mail"),
        ("01-05T10:00", "o1", "ok", "email", "mail"),
        ("01-05T10:00", "o1", "ok", "sms", "text"),
    ]
    assert suppressed(crm) == [
        ("global", "email", "unsubscribed_global"),
        ("global", "sms", "unsubscribed_global"),
        ("news", "email", "unsubscribed_audience"),
        ("news", "sms", "unsubscribed_audience"),
        ("noaddr", "email", "no_email"),
        ("noaddr", "sms", "no_phone"),
        ("noopt", "sms", "sms_not_opted_in"),
    ]


def test_an_audience_unsubscribe_does_not_suppress_a_journey_with_another_audience(crm):
    crm.journey(journey(EMAIL, extra="unsubscribe: {audience: product}\n"))
    crm.events(("e1", "ok", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert "news" in {contact for _, _, contact, _, _ in crm.sends()}


def test_an_enrollment_keeps_the_unsubscribe_audience_of_its_version(crm):
    """Found by the long differential run: an enrollment on version 1 (audience `product`)
    kept being suppressed for `newsletter`, the audience of version 2 published later."""
    loop = (
        "  - id: text\n    send_sms: {template: hello-sms}\n"
        "  - id: pause\n    delay: {hours: 1}\n    next: text\n"
    )
    first = journey(loop, extra="unsubscribe: {audience: product}\n")
    crm.journey(first)
    crm.events(("e1", "ok", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    crm.journey(
        first.replace("version: 1", "version: 2")
        .replace("product", "newsletter")
        .replace("activity: purchase", "activity: form_submitted")
    )
    crm.run(at("12:00"))
    texts = [
        (run_at, contact) for run_at, _, contact, channel, _ in crm.sends() if channel == "sms"
    ]
    assert ("01-05T12:00", "news") in texts  # version 1's audience is `product`
    assert ("01-05T12:00", "news", "sms", "unsubscribed_audience") not in crm.rows(
        "select strftime(run_at, '%m-%dT%H:%M'), contact_id, channel, reason from suppressions"
    )


def test_a_step_send_to_narrows_the_journeys(crm):
    """SPEC: a step's own `send_to` narrows the journey's: a contact must pass both."""
    steps = (
        "  - id: mail\n    send_email: {template: hello}\n"
        "  - id: acme\n    send_email: {template: acme}\n"
        "    send_to: {filter: {field: email, op: contains, value: acme}}\n"
    )
    crm.journey(journey(steps, extra="send_to:\n  filter: {field: role, op: eq, value: BUYER}\n"))
    crm.events(("e1", "ok", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    # news and noopt have an acme address but are no buyers: the step does not widen to them
    assert [(contact, step) for _, _, contact, _, step in crm.sends()] == [
        ("ok", "acme"),
        ("ok", "mail"),
    ]
    # a contact either filter leaves out is not a recipient at all, so not suppressed either
    assert suppressed(crm) == [
        ("global", "email", "unsubscribed_global"),
        ("global", "email", "unsubscribed_global"),
    ]


def test_recipients_are_the_members_as_of_the_run(crm):
    steps = "  - id: pause\n    delay: {hours: 2}\n" + EMAIL
    crm.journey(journey(steps))
    crm.events(("e1", "beta", "purchase", at("09:30")))
    crm.members(("ok", "o2"), at=at("10:30"))  # beta leaves o2, ok joins it
    crm.run(at("13:00"), at("09:00"))
    assert crm.sends() == [("01-05T12:00", "o2", "ok", "email", "mail")]


def test_several_send_steps_in_a_row_all_run_in_the_same_window(crm):
    steps = EMAIL + SMS + "  - id: again\n    send_email: {template: again}\n"
    crm.journey(journey(steps))
    crm.events(("e1", "beta", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    assert crm.sends() == [
        ("01-05T10:00", "o2", "beta", "email", "again"),
        ("01-05T10:00", "o2", "beta", "email", "mail"),
        ("01-05T10:00", "o2", "beta", "sms", "text"),
    ]


# -- unsubscribe events ---------------------------------------------------------------------

NEWSLETTER = journey(EMAIL, extra="unsubscribe: {audience: newsletter}\n", journey_id="news-j")


def unsubscribes(scenario) -> list[tuple]:
    return scenario.rows(
        "select contact_id, audience, journey_id, event_id from unsubscribes order by event_id"
    )


def test_an_unsubscribe_naming_a_journey_applies_its_audience_if_subscribed(crm):
    crm.journey(NEWSLETTER)
    crm.events(("u1", "ok", "unsubscribed", at("09:10"), {"journey_id": "news-j"}))
    crm.run(at("10:00"), at("09:00"))
    assert unsubscribes(crm) == [("ok", "newsletter", "news-j", "u1")]
    [(unsubscribed_at,)] = crm.rows("select unsubscribed_at from unsubscribes")
    assert unsubscribed_at == datetime(2026, 1, 5, 9, 10)


def test_an_audience_unsubscribe_without_a_subscription_is_global(crm):
    crm.journey(NEWSLETTER)
    crm.events(("u1", "beta", "unsubscribed", at("09:10"), {"journey_id": "news-j"}))
    crm.run(at("10:00"), at("09:00"))
    assert unsubscribes(crm) == [("beta", "*", "news-j", "u1")]


def test_an_unsubscribe_without_or_with_an_unknown_journey_is_global(crm):
    crm.journey(NEWSLETTER)
    crm.events(
        ("u1", "ok", "unsubscribed", at("09:10")),
        ("u2", "beta", "unsubscribed", at("09:20"), {"journey_id": "nope"}),
    )
    crm.run(at("10:00"), at("09:00"))
    # an unknown journey is treated as none: journey_id stays empty
    assert unsubscribes(crm) == [("ok", "*", None, "u1"), ("beta", "*", None, "u2")]


def test_an_unsubscribe_suppresses_the_sends_of_its_own_window(crm):
    crm.journey(journey(EMAIL))
    crm.events(
        ("e1", "beta", "purchase", at("09:30")),
        ("u1", "beta", "unsubscribed", at("09:45")),
    )
    crm.run(at("10:00"), at("09:00"))
    assert crm.sends() == []
    assert suppressed(crm) == [("beta", "email", "unsubscribed_global")]


def test_a_later_global_subscription_row_lifts_a_global_unsubscribe(crm):
    crm.journey(journey(EMAIL))
    crm.events(("u1", "beta", "unsubscribed", at("09:10")), ("e1", "beta", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    crm.subscriptions(("beta", "*", "subscribed"), at=at("10:30"))
    crm.events(("e2", "beta", "purchase", at("11:30")))
    crm.run(at("12:00"))
    assert crm.sends() == [("01-05T12:00", "o2", "beta", "email", "mail")]


def test_an_audience_row_does_not_lift_a_global_unsubscribe(crm):
    crm.journey(journey(EMAIL, extra="unsubscribe: {audience: newsletter}\n"))
    crm.events(("u1", "beta", "unsubscribed", at("09:10")))
    crm.subscriptions(
        ("global", "*", "unsubscribed"),
        ("news", "newsletter", "unsubscribed"),
        ("beta", "newsletter", "subscribed"),
        at=at("09:30"),
    )
    crm.events(("e1", "beta", "purchase", at("10:30")))
    crm.run(at("11:00"), at("09:00"))
    assert suppressed(crm) == [("beta", "email", "unsubscribed_global")]


def test_an_unsubscribe_before_a_newer_snapshot_loses_to_it(crm):
    crm.journey(journey(EMAIL, extra="unsubscribe: {audience: newsletter}\n"))
    crm.events(("u1", "ok", "unsubscribed", at("09:10"), {"journey_id": "j"}))
    crm.run(at("10:00"), at("09:00"))
    crm.subscriptions(("ok", "newsletter", "subscribed"), at=at("10:30"))
    crm.events(("e1", "ok", "purchase", at("11:30")))
    crm.run(at("12:00"))
    assert ("01-05T12:00", "o1", "ok", "email", "mail") in crm.sends()


# -- ids, determinism, exports, preview -----------------------------------------------------


def test_send_ids_and_tables_are_the_same_one_window_at_a_time_or_all_at_once(
    crm, tmp_path, orgjourney, cli_paths
):
    crm.journey(journey(EMAIL + "  - id: pause\n    delay: {hours: 1}\n" + SMS))
    crm.events(("e1", "ok", "purchase", at("09:30")), ("e2", "beta", "purchase", at("10:30")))
    crm.run(at("12:00"), at("09:00"))
    all_at_once = crm.rows("select * from sends order by send_id")
    # the same inputs on a second warehouse, one window per invocation
    cli_paths["warehouse"] = tmp_path / "second.duckdb"
    cli_paths["exports"] = tmp_path / "second-exports"
    crm.run(at("10:00"), at("09:00"))
    crm.run(at("11:00"))
    crm.run(at("12:00"))
    assert crm.rows("select * from sends order by send_id") == all_at_once
    assert len({row[0] for row in all_at_once}) == len(all_at_once) == 7


def test_each_window_exports_its_sends_per_journey_step_and_channel(crm, cli_paths):
    crm.contacts(
        {
            "contact_id": "beta",
            "email": '=HYPERLINK("http://x")',
            "phone": "+1559",
            "sms_opt_in": True,
        },
        at="2026-01-02T00:00Z",
    )
    crm.journey(journey(EMAIL + SMS))
    crm.events(("e1", "beta", "purchase", at("09:30")))
    crm.run(at("11:00"), at("09:00"))
    folder = cli_paths["exports"] / "sends" / "run=2026-01-05T10" / "journey=j"
    with (folder / "step=mail" / "channel=email" / "sends.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["address"] for row in rows] == ['\'=HYPERLINK("http://x")']
    sms = pq.read_table(folder / "step=text" / "channel=sms" / "sends.parquet").to_pylist()
    assert [(row["contact_id"], row["address"]) for row in sms] == [("beta", "+1559")]
    # the phone number keeps its leading '+': only formula-like text is neutralised
    assert not (cli_paths["exports"] / "sends" / "run=2026-01-05T11").exists()


def test_export_command_writes_the_sends_of_a_journey(crm, orgjourney, tmp_path):
    crm.journey(journey(EMAIL))
    crm.journey(journey(SMS, journey_id="other"), name="other")
    crm.events(("e1", "beta", "purchase", at("09:30")))
    crm.run(at("10:00"), at("09:00"))
    out = tmp_path / "out.parquet"
    orgjourney("export", "sends", "--journey", "j", "--format", "parquet", "--out", str(out))
    rows = pq.read_table(out).to_pylist()
    assert [(r["journey_id"], r["contact_id"], r["channel"]) for r in rows] == [
        ("j", "beta", "email")
    ]


def test_dry_run_writes_no_exports_and_registers_no_versions(crm, cli_paths):
    crm.journey(journey(EMAIL))
    crm.events(("e1", "beta", "purchase", at("09:30")))
    result = crm.run(at("10:00"), at("09:00"), "--dry-run")
    assert "dry run" in result.output
    assert crm.rows("select count(*) from journeys") == [(0,)]
    assert crm.rows("select count(*) from sends") == [(0,)]
    assert not (cli_paths["exports"] / "sends").exists()


def test_preview_shows_who_would_enter_and_receive_and_writes_nothing(crm, orgjourney):
    crm.journey(
        "id: p\nname: P\nversion: 1\nstate: draft\nentry:\n  when: filter\n"
        "  filter: {field: name, op: eq, value: acme}\nsteps:\n" + EMAIL
    )
    crm.run(at("10:00"), at("09:00"))
    before = crm.rows("select (select count(*) from runs), (select count(*) from journeys)")
    result = orgjourney("preview", "p", "--at", at("10:30"))
    assert "1 organization(s) would enter" in result.output
    assert "ok@acme.test" in result.output and "unsubscribed_global" in result.output
    assert "b@beta.test" not in result.output
    after = crm.rows("select (select count(*) from runs), (select count(*) from journeys)")
    assert after == before


def test_a_changed_published_version_stops_the_run_naming_the_file(crm, orgjourney):
    path = crm.journey(journey(EMAIL))
    crm.run(at("10:00"), at("09:00"))
    path.write_text(path.read_text().replace("template: hello", "template: changed"))
    result = crm.run(at("11:00"), expect_exit=1)
    assert "j.yaml" in result.output and "version 1" in result.output
    assert crm.rows("select count(*) from runs") == [(1,)]
    assert orgjourney("validate", expect_exit=1).exit_code == 1
    # a state change alone is not a new definition
    path.write_text(
        path.read_text()
        .replace("template: changed", "template: hello")
        .replace("state: published", "state: paused")
    )
    crm.run(at("11:00"))
    assert crm.rows("select count(*) from runs") == [(2,)]
