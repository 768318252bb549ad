"""The Python API for notebooks (SPEC section 5): `orgjourney_pipeline.open(path).table(..)`.

Two journeys, one send each: `welcome` mails c1 at 10:00, `renew` mails c2 at 11:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

import orgjourney_pipeline
from orgjourney_pipeline import warehouse
from orgjourney_pipeline.api import TableError

DAY = "2026-01-05"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


def journey(journey_id: str, activity: str) -> str:
    return (
        f"id: {journey_id}\nname: {journey_id}\nversion: 1\nstate: published\n"
        f"entry: {{when: activity, activity: {activity}}}\n"
        f"steps:\n  - id: mail\n    send_email: {{template: {journey_id}}}\n"
    )


@pytest.fixture
def ran(scenario):
    scenario.orgs({"org_id": "o1"}, {"org_id": "o2"})
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@beta.test"},
    )
    scenario.members(("c1", "o1"), ("c2", "o2"))
    scenario.journey(journey("welcome", "form_submitted"))
    scenario.journey(journey("renew", "purchase"))
    scenario.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("p1", "c2", "purchase", at("10:30")),
    )
    scenario.run(at("11:00"), at("09:00"))
    return scenario


def sends(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.select("journey_id", "contact_id", "run_at").iter_rows())


def test_a_table_is_a_polars_frame_of_the_warehouse_rows(ran):
    frame = orgjourney_pipeline.open(ran.paths["warehouse"]).table("sends")
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == [
        name for (name,) in ran.rows("select column_name from (describe sends)")
    ]
    assert sends(frame) == [
        ("renew", "c2", datetime(2026, 1, 5, 11)),
        ("welcome", "c1", datetime(2026, 1, 5, 10)),
    ]


def test_a_view_reads_like_a_table(ran):
    summary = orgjourney_pipeline.open(ran.paths["warehouse"]).table("journey_summary")
    assert sorted(summary.select("journey_id", "entered").iter_rows()) == [
        ("renew", 1),
        ("welcome", 1),
    ]


def test_journey_keeps_one_journeys_rows(ran):
    frame = orgjourney_pipeline.open(ran.paths["warehouse"]).table("sends", journey="renew")
    assert sends(frame) == [("renew", "c2", datetime(2026, 1, 5, 11))]


@pytest.mark.parametrize(
    "since",
    [
        "2026-01-05T11:00Z",
        "2026-01-05T12:00+01:00",
        datetime(2026, 1, 5, 11),
        datetime(2026, 1, 5, 12, tzinfo=timezone(timedelta(hours=1))),
    ],
    ids=["text", "text with offset", "datetime", "aware datetime"],
)
def test_since_bounds_the_time_column_inclusively(ran, since):
    frame = orgjourney_pipeline.open(ran.paths["warehouse"]).table("sends", since=since)
    assert sends(frame) == [("renew", "c2", datetime(2026, 1, 5, 11))]


def test_since_a_moment_later_leaves_the_row_out(ran):
    later = datetime(2026, 1, 5, 11, 0, 0, 1)
    frame = orgjourney_pipeline.open(ran.paths["warehouse"]).table("sends", since=later)
    assert frame.height == 0 and "send_id" in frame.columns


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("send", {}, "no table 'send' in the warehouse: choose one of organizations, "),
        ("sends", {"journey": "nope"}, "no journey 'nope' in the warehouse"),
        ("organizations", {"journey": "renew"}, "organizations has no journey_id column"),
        ("journey_summary", {"since": "2026-01-05"}, "journey_summary has no time column"),
        ("sends", {"since": "yesterday"}, "since 'yesterday' is not an ISO-8601 timestamp"),
    ],
    ids=["unknown table", "unknown journey", "no journey_id", "no time column", "bad since"],
)
def test_what_the_warehouse_cannot_answer_is_a_clear_error(ran, name, options, message):
    with pytest.raises(TableError, match="^" + message.replace("(", r"\(")):
        orgjourney_pipeline.open(ran.paths["warehouse"]).table(name, **options)


def test_an_open_warehouse_does_not_keep_the_writers_out(ran):
    opened = orgjourney_pipeline.open(ran.paths["warehouse"])
    opened.table("sends")
    with warehouse.connect(ran.paths["warehouse"], wait_seconds=0) as con:
        assert con.execute("select count(*) from sends").fetchone() == (2,)
    assert opened.table("runs").height == 2


def test_a_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no warehouse at .*nothing.duckdb"):
        orgjourney_pipeline.open(tmp_path / "nothing.duckdb")


def test_export_since_is_inclusive_on_the_same_time_column(ran, tmp_path):
    out = tmp_path / "sends.csv"
    output = ran.invoke("export", "sends", "--since", at("11:00"), "--out", str(out)).output
    assert "1 sends row(s) written" in output
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and ",renew," in lines[1]
