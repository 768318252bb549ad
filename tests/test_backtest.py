"""`backtest` (SPEC section 5): the engine run for one journey file over past windows.

A small world ran live: `nurture` (an activity entry with a filter, a wait for an open, an
SMS, a tag, attribution with exit on conversion) beside `promo`, a journey of higher
priority that mails everyone, under a daily email cap of one, with an activity that arrives
late. The backtest of `nurture` over the same windows reproduces its live tables row for
row, and leaves the warehouse file unchanged byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import jsonschema
import pytest

from orgjourney_pipeline import backtest

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
START, MIDDLE, END = "2026-01-05T09:00Z", "2026-01-05T13:00Z", "2026-01-06T12:00Z"

NURTURE = """\
id: nurture
name: Nurture
version: 1
state: published
entry:
  when: activity
  activity: form_submitted
  filter: {field: plan, op: ne, value: free}
frequency: once_at_a_time
exit: {on_conversion: true}
attribution: {activity: purchase, within_days: 2}
steps:
  - id: hello
    send_email: {template: hello}
  - id: wait-open
    wait_for: {activity: email_opened, timeout: {hours: 3}}
    then: tag
    else: text
  - id: text
    send_sms: {template: nudge}
    next: end
  - id: tag
    tag_org: {add: [engaged]}
"""

PROMO = """\
id: promo
name: Promo
version: 1
state: published
priority: 5
entry: {when: activity, activity: page_viewed}
frequency: every_time
steps:
  - id: offer
    send_email: {template: offer}
"""

DELIVERY = "caps:\n  - {channel: email, max: 1, per: day}\n"

TABLES = backtest.OUTPUT_TABLES


@pytest.fixture
def live(scenario):
    """The world, run live from START through END in two invocations (a late event between)."""
    scenario.orgs(
        *(
            {"org_id": f"o{i}", "name": f"Org {i}", "plan": plan}
            for i, plan in enumerate(["pro", "free", "pro", "team", "pro"], 1)
        )
    )
    scenario.contacts(
        *(
            {
                "contact_id": f"c{i}",
                "email": f"c{i}@x.test",
                "phone": f"+4917{i:05d}",
                "sms_opt_in": i % 2 == 0,
            }
            for i in range(1, 9)
        )
    )
    scenario.members(*((f"c{i}", f"o{(i - 1) % 5 + 1}") for i in range(1, 9)))
    scenario.journey(NURTURE)
    scenario.journey(PROMO)
    (scenario.paths["journeys"] / "delivery.yaml").write_text(DELIVERY)
    scenario.events(
        ("f1", "c1", "form_submitted", "2026-01-05T09:10Z"),
        ("f2", "c2", "form_submitted", "2026-01-05T09:20Z"),
        ("f3", "c3", "form_submitted", "2026-01-05T10:05Z"),
        ("p1", "c1", "page_viewed", "2026-01-05T09:05Z"),
        ("p3", "c8", "page_viewed", "2026-01-05T10:30Z"),
        ("o1", "c6", "email_opened", "2026-01-05T11:15Z"),
        ("b1", "c3", "purchase", "2026-01-05T12:30Z"),
    )
    scenario.run(MIDDLE, START)
    # Loaded after its window ran: processed late, in the next run, with its true time.
    scenario.events(
        ("f4", "c4", "form_submitted", "2026-01-05T11:40Z"),
        ("f5", "c5", "form_submitted", "2026-01-05T14:10Z"),
        ("p4", "c4", "page_viewed", "2026-01-05T14:20Z"),
        ("b2", "c5", "purchase", "2026-01-06T09:30Z"),
    )
    scenario.run(END)
    return scenario


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(con, query: str) -> list[tuple]:
    return sorted(con.sql(query).fetchall(), key=lambda row: tuple(map(str, row)))


def _assert_reproduced(con, journey_id: str, out: Path) -> None:
    """Each would-be table the backtest wrote to `out` holds the journey's live rows."""
    for table in TABLES:
        live_rows = _rows(con, f"select * from {table} where journey_id = '{journey_id}'")
        would_be = _rows(con, f"select * from read_parquet('{out / (table + '.parquet')}')")
        assert would_be == live_rows, table


def _run_and_backtest(scenario, orgjourney, tmp_path: Path, journey_id: str) -> Path:
    """Run the scenario live from START through END, then backtest `journey_id`'s file over
    the same windows; return the folder of its would-be tables."""
    scenario.run(END, START)
    out = tmp_path / "would-be"
    journey_file = str(scenario.paths["journeys"] / f"{journey_id}.yaml")
    orgjourney("backtest", journey_file, "--from", START, "--through", END, "--out", str(out))
    return out


def _assert_live_reproduced(scenario, journey_id: str, out: Path) -> None:
    """`_assert_reproduced` against the scenario's warehouse."""
    with duckdb.connect(str(scenario.paths["warehouse"]), read_only=True) as con:
        _assert_reproduced(con, journey_id, out)


def test_a_backtest_over_the_live_windows_reproduces_the_live_tables(live, orgjourney, tmp_path):
    store = live.paths["warehouse"]
    before = _digest(store)
    out = tmp_path / "would-be"
    result = orgjourney(
        "backtest",
        str(live.paths["journeys"] / "nurture.yaml"),
        "--from",
        START,
        "--through",
        END,
        "--out",
        str(out),
        "--json",
    )
    assert _digest(store) == before
    found = json.loads(result.stdout)
    jsonschema.validate(found, json.loads((SCHEMAS / "backtest.schema.json").read_text()))
    with duckdb.connect(str(store), read_only=True) as con:
        _assert_reproduced(con, "nurture", out)
        (entered, sent, suppressed, converted) = con.execute(
            "select (select count(*) from enrollments where journey_id = 'nurture'),"
            " (select count(*) from sends where journey_id = 'nurture'),"
            " (select count(*) from suppressions where journey_id = 'nurture'),"
            " (select count(*) from conversions where journey_id = 'nurture')"
        ).fetchone()
        caps = con.execute(
            "select count(*) from suppressions where reason = 'frequency_capped'"
            " and journey_id = 'nurture'"
        ).fetchone()[0]
        late = con.execute(
            "select count(*) from enrollments where journey_id = 'nurture' and org_id = 'o4'"
        ).fetchone()[0]
    # The world exercises what the test is about: caps from the other journey, a late entry.
    assert caps > 0 and late == 1 and converted > 0
    totals = found["totals"]
    assert (totals["entered"], totals["sent"], totals["suppressed"], totals["converted"]) == (
        entered,
        sent,
        suppressed,
        converted,
    )
    assert found["windows"] == 27
    assert [step["step_id"] for step in found["funnel"]] == ["hello", "wait-open", "text", "tag"]


def test_a_backtest_across_snapshots_that_change_mid_period_reproduces_the_live_tables(
    scenario, orgjourney, tmp_path
):
    """The backtest keeps a window's CRM state steps from the window before while no version
    comes into or out of effect (`backtest.StateChanges`): new organization and subscription
    snapshots in effect mid-period must be seen from their window on, as the live run saw them."""
    scenario.orgs(
        *({"org_id": f"o{i}", "plan": plan} for i, plan in enumerate(["pro", "free", "pro"], 1))
    )
    scenario.contacts(*({"contact_id": f"c{i}", "email": f"c{i}@x.test"} for i in range(1, 7)))
    scenario.members(*((f"c{i}", f"o{(i - 1) % 3 + 1}") for i in range(1, 7)))
    # From 11:00, o1 is free and o2 pro; from 10:30, c5 (of o2) is unsubscribed from everything.
    scenario.orgs(
        {"org_id": "o1", "plan": "free"},
        {"org_id": "o2", "plan": "pro"},
        {"org_id": "o3", "plan": "pro"},
        at="2026-01-05T11:00Z",
    )
    scenario.subscriptions(("c5", "*", "unsubscribed"), at="2026-01-05T10:30Z")
    scenario.journey(NURTURE)
    scenario.events(
        ("f1", "c1", "form_submitted", "2026-01-05T09:10Z"),  # o1, pro then: enters
        ("f2", "c2", "form_submitted", "2026-01-05T10:20Z"),  # o2, free then: does not
        ("f5", "c5", "form_submitted", "2026-01-05T11:30Z"),  # o2, pro now: enters
        ("f4", "c4", "form_submitted", "2026-01-05T12:10Z"),  # o1 again, free now
    )
    out = _run_and_backtest(scenario, orgjourney, tmp_path, "nurture")
    entered = scenario.rows("select org_id from enrollments order by entered_at")
    unsubscribed = scenario.rows(
        "select distinct contact_id from suppressions where reason = 'unsubscribed_global'"
    )
    # The world exercises what the test is about: both snapshots changed who entered or got it.
    assert [org for (org,) in entered] == ["o1", "o2"] and unsubscribed == [("c5",)]
    _assert_live_reproduced(scenario, "nurture", out)


MAIL_ALL = """\
id: mail-all
name: Mail everyone
version: 1
state: published
entry: {when: activity, activity: page_viewed}
frequency: every_time
steps:
  - id: note
    send_email: {template: note}
"""


def test_a_backtest_adds_each_windows_unsubscribes_to_the_kept_ones_as_the_live_run_computes_them(
    scenario, orgjourney, tmp_path
):
    """With the subscriptions in effect unchanged, a backtest keeps the unsubscribed pairs of
    the window before and adds the pairs of the window's unsubscribe events
    (`37_unsubscribed_contacts_added`): two events of one pair in a window make one pair, and
    an event for a pair the snapshot has unsubscribed adds none; the live run computes every
    pair again each window, and the two agree."""
    scenario.orgs({"org_id": "o1"})
    scenario.contacts(*({"contact_id": f"c{i}", "email": f"c{i}@x.test"} for i in (1, 2, 3)))
    scenario.members(("c1", "o1"), ("c2", "o1"), ("c3", "o1"))
    scenario.subscriptions(("c1", "*", "subscribed"), ("c3", "*", "unsubscribed"))
    scenario.journey(MAIL_ALL)
    scenario.events(
        ("p1", "c1", "page_viewed", "2026-01-05T09:10Z"),  # o1 enters: c1, c2 get it
        ("u2", "c2", "unsubscribed", "2026-01-05T10:15Z"),
        ("u2b", "c2", "unsubscribed", "2026-01-05T10:40Z"),  # the same pair, the same window
        ("u3", "c3", "unsubscribed", "2026-01-05T10:20Z"),  # unsubscribed by the snapshot too
        ("p2", "c1", "page_viewed", "2026-01-05T11:10Z"),  # o1 enters again: only c1 gets it
    )
    out = _run_and_backtest(scenario, orgjourney, tmp_path, "mail-all")
    suppressed = scenario.rows(
        "select contact_id, strftime(run_at, '%H'), reason from suppressions order by 2, 1"
    )
    assert suppressed == [
        ("c3", "10", "unsubscribed_global"),
        ("c2", "12", "unsubscribed_global"),
        ("c3", "12", "unsubscribed_global"),
    ]
    sent = scenario.rows("select contact_id, strftime(run_at, '%H') from sends order by 2, 1")
    assert sent == [("c1", "10"), ("c2", "10"), ("c1", "12")]
    _assert_live_reproduced(scenario, "mail-all", out)


def test_a_backtest_batches_the_trigger_events_with_the_memberships_of_each_windows_end(
    scenario, orgjourney, tmp_path
):
    """A backtest joins a day of windows' trigger events to the memberships in one statement
    (`sql/backtest/trigger_activity_orgs.sql`); each window's events still meet the
    memberships as of its own end: a contact that moves to another organization mid-batch
    makes the new one enter from the window whose end is at or after the move."""
    scenario.orgs({"org_id": "o1"}, {"org_id": "o2"})
    scenario.contacts({"contact_id": "c1", "email": "c1@x.test"})
    scenario.members(("c1", "o1"))
    scenario.members(("c1", "o2"), at="2026-01-05T11:00Z")
    scenario.journey(MAIL_ALL)
    scenario.events(
        ("p1", "c1", "page_viewed", "2026-01-05T09:10Z"),  # window ending 10:00: o1
        ("p2", "c1", "page_viewed", "2026-01-05T10:10Z"),  # window ending 11:00: o2 already
        ("p3", "c1", "page_viewed", "2026-01-06T09:30Z"),  # the next batch: o2
    )
    out = _run_and_backtest(scenario, orgjourney, tmp_path, "mail-all")
    entered = scenario.rows(
        "select org_id, strftime(entered_at, '%dT%H') from enrollments order by entered_at"
    )
    assert entered == [("o1", "05T10"), ("o2", "05T11"), ("o2", "06T10")]
    _assert_live_reproduced(scenario, "mail-all", out)


GREET_ONCE = """\
id: greet
name: Greet once
version: 1
state: published
entry:
  when: activity
  activity: page_viewed
  filter: {not: {tag: greeted}}
frequency: every_time
steps:
  - id: mark
    tag_org: {add: [greeted]}
  - id: hello
    send_email: {template: hello}
"""


def test_a_backtest_sees_the_journeys_own_updates_from_the_next_window_on(
    scenario, orgjourney, tmp_path
):
    """The organizations overlay kept from the window before is rebuilt once the journey's
    walk has updated an organization: its tag keeps the organization from entering again."""
    scenario.orgs({"org_id": "o1"}, {"org_id": "o2"})
    scenario.contacts(
        {"contact_id": "c1", "email": "c1@x.test"}, {"contact_id": "c2", "email": "c2@x.test"}
    )
    scenario.members(("c1", "o1"), ("c2", "o2"))
    scenario.journey(GREET_ONCE)
    scenario.events(
        ("v1", "c1", "page_viewed", "2026-01-05T09:10Z"),  # o1 enters, and is tagged
        ("v2", "c1", "page_viewed", "2026-01-05T11:20Z"),  # o1 tagged: does not enter again
        ("v3", "c2", "page_viewed", "2026-01-05T11:30Z"),  # o2 enters
    )
    out = _run_and_backtest(scenario, orgjourney, tmp_path, "greet")
    entered = scenario.rows("select org_id from enrollments order by entered_at")
    assert [org for (org,) in entered] == ["o1", "o2"]
    _assert_live_reproduced(scenario, "greet", out)


def test_a_backtest_starts_as_if_first_published_at_from(live, orgjourney):
    """From MIDDLE: no enrollment of the live run's first hours, and none entered before."""
    result = orgjourney(
        "backtest",
        str(live.paths["journeys"] / "nurture.yaml"),
        "--from",
        MIDDLE,
        "--through",
        END,
        "--json",
    )
    found = json.loads(result.stdout)
    live_after = live.rows(
        "select count(*) from enrollments where journey_id = 'nurture' and entered_at > ?",
        "2026-01-05 13:00:00",
    )[0][0]
    # The late form of o4 (11:40, loaded after 13:00) is history for a journey first
    # published at 13:00: the entries are those the live run made after MIDDLE, less o4's.
    assert found["totals"]["entered"] == live_after - 1
    assert found["windows"] == 23


def test_a_draft_version_is_backtested_as_published(live, orgjourney, tmp_path):
    draft = tmp_path / "nurture-v2.yaml"
    draft.write_text(
        NURTURE.replace("version: 1", "version: 2").replace("state: published", "state: draft")
    )
    found = json.loads(
        orgjourney("backtest", str(draft), "--from", START, "--through", END, "--json").stdout
    )
    assert found["version"] == 2
    assert (
        found["totals"]["entered"]
        == live.rows("select count(*) from enrollments where journey_id = 'nurture'")[0][0]
    )


def test_an_invalid_file_or_an_empty_period_is_an_error(live, orgjourney, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(NURTURE.replace("field: plan", "field: no_such_field"))
    result = orgjourney("backtest", str(broken), "--from", START, "--through", END, expect_exit=1)
    assert f"{broken}:" in result.output and "no_such_field" in result.output
    result = orgjourney(
        "backtest",
        str(live.paths["journeys"] / "nurture.yaml"),
        "--from",
        END,
        "--through",
        END,
        expect_exit=1,
    )
    assert "no complete window" in result.output


def test_a_diff_of_a_changed_filter_value_names_exactly_the_organizations_that_differ(
    live, orgjourney, tmp_path
):
    changed = tmp_path / "nurture-v2.yaml"
    changed.write_text(
        NURTURE.replace("version: 1", "version: 2").replace("value: free", "value: team")
    )
    out = tmp_path / "diff"
    result = orgjourney(
        "diff", str(changed), "--from", START, "--through", END, "--out", str(out), "--json"
    )
    found = json.loads(result.stdout)
    jsonschema.validate(found, json.loads((SCHEMAS / "diff.schema.json").read_text()))
    # Independently: the organizations with a form in the period, by their plan.
    with_form = """
        select distinct m.org_id from activities as a
        join memberships as m on m.contact_id = a.contact_id
        join organizations as o on o.org_id = m.org_id
        where a.activity_type = 'form_submitted' and o.plan = ? order by 1"""
    free = [org for (org,) in live.rows(with_form, "free")]
    team = [org for (org,) in live.rows(with_form, "team")]
    assert free and team
    assert found["organizations"] == {
        "only_file": free,
        "only_published": team,
        "changed": [],
    }
    assert (found["published_version"], found["file_version"]) == (1, 2)
    # Every send of an organization entering under one version only is gained or lost.
    sends_of = "select count(*) from sends where journey_id = 'nurture' and org_id = ?"
    lost = sum(live.rows(sends_of, org)[0][0] for org in team)
    assert sum(row["lost"] for row in found["sends"]) == lost
    assert sum(row["gained"] for row in found["sends"]) > 0
    assert {sample["org_id"] for sample in found["samples"]} == set(free + team)
    assert found["samples"][0]["explain"] == f"orgjourney explain {free[0]} --journey nurture"
    written = duckdb.connect().execute(
        f"select org_id, kind from read_parquet('{out / 'organizations.parquet'}') order by 1"
    )
    assert written.fetchall() == sorted(
        [(org, "only_file") for org in free] + [(org, "only_published") for org in team]
    )


def test_a_diff_of_a_journey_never_published_is_an_error(live, orgjourney, tmp_path):
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text(NURTURE.replace("id: nurture", "id: nurtur"))
    result = orgjourney("diff", str(fresh), expect_exit=1)
    assert "journey 'nurtur' has no published version" in result.output
    assert "did you mean 'nurture'?" in result.output


@pytest.mark.slow  # two backtests and a diff through the API: with the slow suite
def test_the_python_api_backtests_and_diffs_into_polars_frames(live, tmp_path):
    import polars as pl

    import orgjourney_pipeline

    store = orgjourney_pipeline.open(live.paths["warehouse"])
    nurture = live.paths["journeys"] / "nurture.yaml"
    sends = store.backtest(nurture, START, END, table="sends")
    live_sends = store.table("sends", journey="nurture")
    assert isinstance(sends, pl.DataFrame)
    assert sends.sort("send_id").equals(live_sends.sort("send_id"))
    days = store.backtest(nurture, START, END)
    assert days["sent"].sum() == live_sends.height
    changed = tmp_path / "nurture-v2.yaml"
    changed.write_text(
        NURTURE.replace("version: 1", "version: 2").replace("value: free", "value: team")
    )
    differences = store.diff(changed, START, END)
    assert set(differences["kind"]) == {"only_file", "only_published"}
    with pytest.raises(backtest.BacktestError, match="no complete window"):
        store.backtest(nurture, END, END)
