"""Hourly windows: planning, the runs ledger, dry runs, atomicity, late arrivals, rollups."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest

from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.faults import FAULT_ENV, InjectedFault
from orgjourney_pipeline.windows.plan import Window
from orgjourney_pipeline.windows.run import run_windows

T = datetime(2026, 1, 5, 9)


def load(con, *events, load_seq=1):
    """Record a loaded file and its events: (event_id, contact_id, type, occurred_at)."""
    con.execute(
        "insert into ingested_files values (?, ?, 'f.csv', 'activities', 'csv', null, 0, 0, 0, 0, ?)",
        [load_seq, f"hash{load_seq}", T],
    )
    for row, (event_id, contact_id, activity_type, occurred_at) in enumerate(events, 1):
        con.execute(
            "insert into activities values (?, ?, ?, ?, null, ?, 'f.csv', ?)",
            [event_id, contact_id, activity_type, occurred_at, load_seq, row],
        )


def member(con, contact_id, org_id, since=datetime(2026, 1, 1)):
    con.execute(
        "insert into membership_versions values (?, ?, ?, null, 'h')", [contact_id, org_id, since]
    )


def window_ends(con):
    return [end for (end,) in con.execute("select window_end from runs order by 1").fetchall()]


def rollup(con, table="org_activity"):
    """(owner, type, events) of org_activity, or of the contact rollup's parts added up."""
    if table == "org_activity":
        return con.execute(
            "select org_id, activity_type, events from org_activity order by all"
        ).fetchall()
    return con.execute(
        f"select contact_id, activity_type, sum(events)::bigint from {table}"
        " group by all order by all"
    ).fetchall()


def test_windows_start_at_from_and_end_at_through(con):
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 12, 30), datetime(2026, 1, 5, 9))
    assert [r.window.start.hour for r in report.windows] == [9, 10, 11]
    assert window_ends(con) == [datetime(2026, 1, 5, h) for h in (10, 11, 12)]


def test_without_from_a_fresh_warehouse_runs_the_window_ending_at_through(con):
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 12))
    assert [r.window for r in report.windows] == [
        Window(datetime(2026, 1, 5, 11), datetime(2026, 1, 5, 12))
    ]


def test_processed_windows_are_reported_and_skipped(con):
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11), T)
    again = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11), T)
    assert again.windows == []
    assert any("already processed" in note for note in again.notes)
    assert window_ends(con) == [datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 11)]


def test_a_later_run_continues_after_the_last_window_and_ignores_from(con):
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 12), datetime(2026, 1, 1))
    assert [r.window.start.hour for r in report.windows] == [10, 11]
    assert any("--from" in note and "ignored" in note for note in report.notes)


def test_dry_run_reports_and_leaves_nothing(con):
    member(con, "c1", "o1")
    load(con, ("e1", "c1", "email_opened", datetime(2026, 1, 5, 9, 30)))
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11), T, dry_run=True)
    assert report.dry_run and len(report.windows) == 2
    assert report.windows[0].counts["10_window_activities"] == 1
    assert window_ends(con) == []
    assert rollup(con) == []


def test_an_error_half_way_through_a_window_leaves_the_warehouse_as_it_was(con, monkeypatch):
    member(con, "c1", "o1")
    load(con, ("e1", "c1", "email_opened", datetime(2026, 1, 5, 9, 30)))
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    before = (window_ends(con), rollup(con), rollup(con, "contact_activity_parts"))
    load(con, ("e2", "c1", "email_opened", datetime(2026, 1, 5, 10, 30)), load_seq=2)
    monkeypatch.setenv(FAULT_ENV, "raise:20_update_contact_activity")
    with pytest.raises(InjectedFault):
        run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))
    assert (window_ends(con), rollup(con), rollup(con, "contact_activity_parts")) == before
    monkeypatch.delenv(FAULT_ENV)
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))
    assert rollup(con) == [("o1", "email_opened", 2)]


def test_each_event_is_rolled_up_once_in_its_window(con):
    member(con, "c1", "o1")
    load(
        con,
        ("e1", "c1", "email_opened", datetime(2026, 1, 5, 9, 10)),
        ("e2", "c1", "email_opened", datetime(2026, 1, 5, 10, 10)),
        ("e3", "c1", "purchase", datetime(2026, 1, 5, 13, 0)),  # in the future: waits
    )
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 12), T)
    assert [r.counts["10_window_activities"] for r in report.windows] == [1, 1, 0]
    assert rollup(con) == [("o1", "email_opened", 2)]


def test_history_before_the_first_window_is_rolled_up_but_triggers_nothing(con):
    member(con, "c1", "o1")
    load(
        con,
        ("old", "c1", "email_opened", datetime(2025, 12, 1)),
        ("new", "c1", "email_opened", datetime(2026, 1, 5, 9, 5)),
    )
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    triggers = con.execute(
        "select event_id from window_activities where is_trigger order by 1"
    ).fetchall()
    assert triggers == [("new",)]
    assert rollup(con) == [("o1", "email_opened", 2)]


def test_a_late_event_is_processed_in_the_next_run_with_its_true_time(con):
    member(con, "c1", "o1")
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11), T)
    load(con, ("late", "c1", "purchase", datetime(2026, 1, 5, 9, 45)), load_seq=2)
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 12))
    assert report.windows[0].counts["10_window_activities"] == 1
    first_at = con.execute("select first_at from org_activity").fetchone()[0]
    assert first_at == datetime(2026, 1, 5, 9, 45)
    # and never again
    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 13))
    assert report.windows[0].counts["10_window_activities"] == 0


def test_late_history_is_rolled_up_but_is_not_a_trigger(con):
    member(con, "c1", "o1")
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    load(con, ("ancient", "c1", "purchase", datetime(2025, 6, 1)), load_seq=2)
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))
    assert con.execute("select count(*) from window_activities where is_trigger").fetchone() == (0,)
    assert rollup(con) == [("o1", "purchase", 1)]


def test_a_contact_counts_for_every_organization_it_belongs_to(con):
    member(con, "c1", "o1")
    member(con, "c1", "o2")
    member(con, "c2", "o1")
    load(
        con,
        ("e1", "c1", "email_clicked", datetime(2026, 1, 5, 9, 1)),
        ("e2", "c2", "email_clicked", datetime(2026, 1, 5, 9, 2)),
        ("e3", "c2", "email_clicked", datetime(2026, 1, 5, 9, 3)),
    )
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    rows = con.execute(
        "select org_id, events, contacts, first_at, last_at from org_activity order by 1"
    ).fetchall()
    assert rows == [
        ("o1", 3, 2, datetime(2026, 1, 5, 9, 1), datetime(2026, 1, 5, 9, 3)),
        ("o2", 1, 1, datetime(2026, 1, 5, 9, 1), datetime(2026, 1, 5, 9, 1)),
    ]


def test_membership_is_read_as_of_the_last_window_end(con):
    member(con, "c1", "o1", since=datetime(2026, 1, 5, 10, 30))  # joins during the 2nd window
    load(con, ("e1", "c1", "page_viewed", datetime(2026, 1, 5, 9, 10)))
    load(con, ("e2", "c1", "page_viewed", datetime(2026, 1, 5, 10, 10)), load_seq=2)
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    assert rollup(con) == []  # not a member yet at 10:00
    assert rollup(con, "contact_activity_parts") == [("c1", "page_viewed", 1)]
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))
    assert rollup(con) == [("o1", "page_viewed", 2)]  # a member now: all its activity counts


def test_an_organization_whose_members_change_is_rolled_up_anew_without_new_activity(con):
    member(con, "c1", "o1")
    con.execute(
        "insert into membership_versions values ('c2', 'o1', ?, null, 'h')",
        [datetime(2026, 1, 5, 10, 30)],
    )
    load(
        con,
        ("e1", "c1", "purchase", datetime(2026, 1, 5, 9, 10)),
        ("e2", "c2", "purchase", datetime(2026, 1, 5, 9, 20)),
    )
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    assert con.execute("select events, contacts from org_activity").fetchall() == [(1, 1)]
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))  # no activity, c2 joined o1
    assert con.execute("select events, contacts from org_activity").fetchall() == [(2, 2)]


def rows(con, table):
    return con.execute(
        f"select contact_id, activity_type, first_at, last_at, events from {table} order by all"
    ).fetchall()


def test_the_contact_rollup_appends_each_window_and_compacts_at_midnight(con):
    """The first window and the one ending at midnight UTC merge the recent part into
    contact_activity; the windows between only append. The totals never change by it."""
    member(con, "c1", "o1")
    at = [datetime(2026, 1, 5, 9, 30), datetime(2026, 1, 5, 22, 10), datetime(2026, 1, 5, 23, 5)]
    load(con, *[(f"e{n}", "c1", "purchase", moment) for n, moment in enumerate(at)])
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)  # the first window compacts
    assert rows(con, "contact_activity") == [("c1", "purchase", at[0], at[0], 1)]
    assert rows(con, "contact_activity_recent") == []

    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 23))
    # A step its `when` skips runs no statement: it is in none of the window's figures.
    assert "21_compact_contact_activity" not in report.windows[0].counts
    assert "21_compact_contact_activity" not in report.windows[0].step_seconds
    assert rows(con, "contact_activity") == [("c1", "purchase", at[0], at[0], 1)]
    assert rows(con, "contact_activity_recent") == [("c1", "purchase", at[1], at[1], 1)]
    assert rollup(con) == [("o1", "purchase", 2)]

    report = run_windows(DuckDBEngine(con), datetime(2026, 1, 6, 0))  # ends at midnight: compacts
    assert report.windows[0].counts["21_compact_contact_activity"] == 1
    assert "21_compact_contact_activity" in report.windows[0].step_seconds
    assert rows(con, "contact_activity") == [("c1", "purchase", at[0], at[2], 3)]
    assert rows(con, "contact_activity_recent") == []
    assert con.execute(
        "select first_at, last_at, events, contacts from org_activity"
    ).fetchall() == [(at[0], at[2], 3, 1)]


def test_a_contact_with_rows_in_both_parts_counts_once_in_org_activity(con):
    member(con, "c1", "o1")
    load(con, ("e1", "c1", "purchase", datetime(2026, 1, 5, 9, 30)))
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    load(con, ("e2", "c1", "purchase", datetime(2026, 1, 5, 10, 30)), load_seq=2)
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 11))
    assert len(rows(con, "contact_activity_parts")) == 2
    assert con.execute("select events, contacts from org_activity").fetchall() == [(2, 1)]


def test_runs_rows_carry_the_window_counts(con):
    run_windows(DuckDBEngine(con), datetime(2026, 1, 5, 10), T)
    start, end, status, counts = con.execute(
        "select window_start, window_end, status, counts from runs"
    ).fetchone()
    assert (start, end, status) == (T, datetime(2026, 1, 5, 10), "ok")
    # SPEC section 4's user-facing keys, not the engine's step names.
    keys = set(json.loads(counts))
    assert keys >= {"entered", "exited", "completed", "sends", "suppressions", "conversions"}
    assert not any(key[:2].isdigit() for key in keys)


def test_connections_draw_no_duckdb_progress_bar(tmp_path):
    """DuckDB's own bar would write over the CLI's bars and into scheduled runs' logs.

    The warehouse's connections and the sample generator's, in a process of their own as
    the CLI runs them: DuckDB's default differs under pytest.
    """
    script = (
        "import sys\n"
        "from orgjourney_pipeline import sample, warehouse\n"
        "setting = \"select current_setting('enable_progress_bar')\"\n"
        "print(warehouse.connect(sys.argv[1]).execute(setting).fetchone()[0])\n"
        "with sample._Generator(sample.resolve_size('demo'), 7) as generator:\n"
        "    print(generator.con.execute(setting).fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]
