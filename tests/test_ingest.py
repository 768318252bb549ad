"""Ingest (SPEC section 1): formats, kinds, the file ledger, snapshot history, typing, bad input.

Each test pins one rule with the smallest files that show it, through `ingest_paths`.
"""

from __future__ import annotations

import json
import random
import shutil
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from orgjourney_pipeline import warehouse
from orgjourney_pipeline.ingest import fields, file_kind, ingest_paths, read_as_of, sql
from orgjourney_pipeline.ingest.fields import Column
from orgjourney_pipeline.ingest.kinds import TIMESTAMP_RE

T1, T2, T3 = datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2026, 1, 3)


# --- helpers -----------------------------------------------------------------------------------


def write(path: Path, content: str | bytes | list[dict] | pa.Table) -> Path:
    """A file in the format its name says: CSV text, JSON Lines rows, an Arrow table, or
    bytes as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, pa.Table):
        pq.write_table(content, path)
    elif isinstance(content, list):
        path.write_text("".join(json.dumps(row) + "\n" for row in content), encoding="utf-8")
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def load(con, path: Path, content, *, as_of: datetime | None = None):
    """Write one file, ingest it alone, and return its FileResult."""
    report = ingest_paths(con, [write(path, content)], as_of=as_of)
    assert len(report.files) == 1
    return report.files[0]


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def state(con, kind: str, at: datetime, columns: str = "org_id, name") -> list[tuple]:
    """The rows of a snapshot kind as of `at`, as tuples of `columns`."""
    names = [name.strip() for name in columns.split(",")]
    return sorted(
        tuple(row[name] for name in names) for row in read_as_of(con, kind, at).to_pylist()
    )


def rejected(con) -> list[tuple]:
    return rows(con, "select row_number, kind, reason from rejected_rows order by file, row_number")


def accounted(result) -> bool:
    """Every input row is loaded, a known duplicate or rejected."""
    return result.rows_total == result.rows_loaded + result.rows_duplicate + result.rows_rejected


# --- all five kinds in every format ------------------------------------------------------------

KIND_ROWS = {
    "organizations": [
        {"org_id": "o1", "name": "Acme", "tags": ["vip", "eu"], "timezone": "Europe/Paris",
         "created_at": "2025-06-01T12:00:00Z"},
    ],
    "contacts": [
        {"contact_id": "c1", "email": "ana@acme.test", "phone": "+33600000000",
         "first_name": "Ana", "last_name": "Lopez", "tags": ["admin"], "sms_opt_in": True},
    ],
    "memberships": [{"contact_id": "c1", "org_id": "o1"}, {"contact_id": "c1", "org_id": "o2"}],
    "subscriptions": [{"contact_id": "c1", "audience": "*", "status": "subscribed"}],
    "activities": [
        {"event_id": "e1", "contact_id": "c1", "activity_type": "email_opened",
         "occurred_at": "2026-01-05T09:30:00Z", "properties": {"journey_id": "j1"}},
    ],
}  # fmt: skip


def as_csv(kind_rows: list[dict]) -> str:
    def cell(value) -> str:
        if isinstance(value, list):
            value = ";".join(value)
        elif isinstance(value, dict):
            value = json.dumps(value)
        elif isinstance(value, bool):
            value = str(value).lower()
        return '"' + str(value).replace('"', '""') + '"'

    header = list(kind_rows[0])
    lines = [",".join(header)] + [",".join(cell(row[name]) for name in header) for row in kind_rows]
    return "\n".join(lines) + "\n"


def as_arrow(kind_rows: list[dict]) -> pa.Table:
    columns = {}
    for name in kind_rows[0]:
        values = [row[name] for row in kind_rows]
        if name in ("created_at", "occurred_at"):
            values = [datetime.fromisoformat(v.replace("Z", "+00:00")) for v in values]
        elif name == "properties":
            values = [json.dumps(v) for v in values]
        columns[name] = values
    return pa.table(columns)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_all_five_kinds_load_from_each_format(con, tmp_path, fmt):
    for kind, kind_rows in KIND_ROWS.items():
        content = {"csv": as_csv, "parquet": as_arrow, "jsonl": lambda r: r}[fmt](kind_rows)
        write(tmp_path / "inbox" / f"{kind}.{fmt}", content)
    report = ingest_paths(con, [tmp_path / "inbox"], as_of=T1)
    assert report.ok, [f.message for f in report.files]
    assert [f.kind for f in report.files] == list(KIND_ROWS)  # kind order
    assert all(f.status == "loaded" and f.format == fmt for f in report.files)
    assert rows(con, "select org_id, name, tags, timezone, created_at from organizations") == [
        ("o1", "Acme", ["vip", "eu"], "Europe/Paris", datetime(2025, 6, 1, 12))
    ]
    assert rows(
        con,
        "select contact_id, email, phone, first_name, last_name, tags, sms_opt_in from contacts",
    ) == [("c1", "ana@acme.test", "+33600000000", "Ana", "Lopez", ["admin"], True)]
    assert rows(con, "select contact_id, org_id from memberships order by all") == [
        ("c1", "o1"),
        ("c1", "o2"),
    ]
    assert rows(con, "select contact_id, audience, status from subscriptions") == [
        ("c1", "*", "subscribed")
    ]
    assert rows(
        con,
        "select event_id, contact_id, activity_type, occurred_at,"
        " properties ->> 'journey_id' from activities",
    ) == [("e1", "c1", "email_opened", datetime(2026, 1, 5, 9, 30), "j1")]
    assert rows(con, "select distinct valid_from from organizations") == [(T1,)]


# --- kinds from file names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("activities-2026-01-05T09.jsonl", "activities"),
        ("organizations.parquet", "organizations"),
        ("contacts_full.csv", "contacts"),
        ("memberships-eu_2026.csv", "memberships"),
        ("subscriptions.jsonl", "subscriptions"),
        ("orgs.csv", None),
        ("activity-1.csv", None),
        ("organizationsfull.csv", None),
    ],
)
def test_the_kind_is_the_first_word_of_the_file_name(name, kind):
    assert file_kind(Path("inbox") / name) == kind


def test_the_kind_from_the_name_decides_the_table(con, tmp_path):
    load(con, tmp_path / "contacts_full.csv", "contact_id,email\nc1,a@x.test\n", as_of=T1)
    load(con, tmp_path / "activities-2026-01-05T09.jsonl", [dict(KIND_ROWS["activities"][0])])
    assert rows(con, "select contact_id, email from contacts") == [("c1", "a@x.test")]
    assert rows(con, "select event_id from activities") == [("e1",)]


def test_a_file_of_unknown_kind_is_rejected_whole(con, tmp_path):
    path = write(tmp_path / "orgs.csv", "org_id\no1\n")
    report = ingest_paths(con, [path])
    assert not report.ok
    assert report.files[0].status == "rejected"
    assert str(path) in report.files[0].message
    assert rows(con, "select count(*) from ingested_files") == [(0,)]


# --- the file ledger ---------------------------------------------------------------------------


def test_a_file_loads_once_even_under_another_name(con, tmp_path):
    events = [dict(KIND_ROWS["activities"][0], event_id=f"e{i}") for i in range(3)]
    first = load(con, tmp_path / "activities-1.jsonl", events)
    again = ingest_paths(con, [tmp_path / "activities-1.jsonl"]).files[0]
    shutil.copy(tmp_path / "activities-1.jsonl", tmp_path / "activities-copy.jsonl")
    renamed = ingest_paths(con, [tmp_path / "activities-copy.jsonl"]).files[0]
    assert (first.status, again.status, renamed.status) == (
        "loaded",
        "already_loaded",
        "already_loaded",
    )
    assert rows(con, "select count(*) from activities") == [(3,)]
    assert rows(con, "select count(*) from ingested_files") == [(1,)]


def test_a_snapshot_file_loaded_again_as_of_the_same_time_is_a_no_op(con, tmp_path):
    load(con, tmp_path / "organizations.csv", "org_id,name\no1,A\n", as_of=T1)
    again = load(con, tmp_path / "organizations.csv", "org_id,name\no1,A\n", as_of=T1)
    renamed = load(con, tmp_path / "organizations-copy.csv", "org_id,name\no1,A\n", as_of=T1)
    unstated = load(con, tmp_path / "organizations.csv", "org_id,name\no1,A\n")
    assert (again.status, renamed.status, unstated.status) == ("already_loaded",) * 3
    assert rows(con, "select snapshot_at from snapshot_files") == [(T1,)]


def test_a_snapshot_repeating_earlier_content_is_still_a_snapshot(con, tmp_path):
    day1, day2, day3 = tmp_path / "day1", tmp_path / "day2", tmp_path / "day3"
    load(con, day1 / "organizations.csv", "org_id,name\no1,A\no2,B\n", as_of=T1)
    load(con, day2 / "organizations.csv", "org_id,name\no1,A\n", as_of=T2)
    day3.mkdir()
    shutil.copy(day1 / "organizations.csv", day3 / "organizations.csv")  # byte-identical
    third = ingest_paths(con, [day3 / "organizations.csv"], as_of=T3).files[0]
    assert third.status == "loaded" and third.snapshot_at == T3
    assert state(con, "organizations", T2) == [("o1", "A")]
    assert state(con, "organizations", T3) == [("o1", "A"), ("o2", "B")]
    again = ingest_paths(con, [day3 / "organizations.csv"], as_of=T3).files[0]
    assert again.status == "already_loaded"
    assert rows(con, "select snapshot_at from snapshot_files order by 1") == [(T1,), (T2,), (T3,)]


def test_a_file_stating_its_snapshot_times_loads_once_whatever_as_of_says(con, tmp_path):
    content = "org_id,name,snapshot_at\no1,A,2026-01-01T00:00Z\n"
    load(con, tmp_path / "organizations.csv", content)
    again = load(con, tmp_path / "organizations.csv", content, as_of=T3)
    assert again.status == "already_loaded"
    assert rows(con, "select count(*) from ingested_files") == [(1,)]
    assert rows(con, "select snapshot_at from snapshot_files") == [(T1,)]


# --- snapshot history --------------------------------------------------------------------------


def test_the_state_as_of_t_is_the_latest_snapshot_at_or_before_t(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,name\no1,First\n", as_of=T1)
    load(con, tmp_path / "organizations-2.csv", "org_id,name\no1,Second\n", as_of=T2)
    assert state(con, "organizations", T1 - timedelta(seconds=1)) == []
    assert state(con, "organizations", T1) == [("o1", "First")]
    assert state(con, "organizations", T2 - timedelta(microseconds=1)) == [("o1", "First")]
    assert state(con, "organizations", T2) == [("o1", "Second")]
    assert state(con, "organizations", T3) == [("o1", "Second")]
    assert rows(con, "select org_id, name from organizations") == [("o1", "Second")]


def test_a_row_missing_from_a_newer_snapshot_is_deleted_from_then_on(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,name\no1,A\no2,B\n", as_of=T1)
    load(con, tmp_path / "organizations-2.csv", "org_id,name\no1,A\n", as_of=T2)
    assert state(con, "organizations", T1) == [("o1", "A"), ("o2", "B")]
    assert state(con, "organizations", T2) == [("o1", "A")]
    assert rows(con, "select org_id from organizations") == [("o1",)]


def test_a_header_only_snapshot_deletes_every_row_from_then_on(con, tmp_path):
    load(con, tmp_path / "memberships-1.csv", "contact_id,org_id\nc1,o1\n", as_of=T1)
    result = load(con, tmp_path / "memberships-2.csv", "contact_id,org_id\n", as_of=T2)
    assert (result.status, result.rows_total) == ("loaded", 0)
    assert state(con, "memberships", T1, "contact_id, org_id") == [("c1", "o1")]
    assert state(con, "memberships", T2, "contact_id, org_id") == []


def test_a_snapshot_arriving_after_a_newer_one_takes_its_place_in_history(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,name\no1,A1\no2,B1\n", as_of=T1)
    load(con, tmp_path / "organizations-3.csv", "org_id,name\no1,A3\no2,B1\n", as_of=T3)
    late = load(con, tmp_path / "organizations-2.csv", "org_id,name\no1,A2\no3,C2\n", as_of=T2)
    assert late.status == "loaded"
    assert state(con, "organizations", T1) == [("o1", "A1"), ("o2", "B1")]
    assert state(con, "organizations", T2) == [("o1", "A2"), ("o3", "C2")]
    assert state(con, "organizations", T3) == [("o1", "A3"), ("o2", "B1")]
    assert rows(con, "select org_id, name from organizations order by 1") == [
        ("o1", "A3"),
        ("o2", "B1"),
    ]


def test_files_of_one_kind_with_the_same_snapshot_at_form_one_snapshot(con, tmp_path):
    write(tmp_path / "in" / "organizations-eu.csv", "org_id,name,snapshot_at\no1,A,2026-01-02\n")
    write(tmp_path / "in" / "organizations-us.csv", "org_id,name,snapshot_at\no2,B,2026-01-02\n")
    load(con, tmp_path / "organizations-0.csv", "org_id,name\no0,Z\n", as_of=T1)
    assert ingest_paths(con, [tmp_path / "in"]).ok
    # and a third part arriving later, in another call, still joins it
    load(con, tmp_path / "organizations-asia.csv", "org_id,name\no3,C\n", as_of=T2)
    assert state(con, "organizations", T1) == [("o0", "Z")]
    assert state(con, "organizations", T2) == [("o1", "A"), ("o2", "B"), ("o3", "C")]
    assert rows(con, "select count(distinct snapshot_at), count(*) from snapshot_files") == [(2, 4)]


def test_snapshot_files_without_snapshot_at_in_one_call_form_one_snapshot(con, tmp_path):
    write(tmp_path / "in" / "contacts-a.csv", "contact_id\nc1\n")
    write(tmp_path / "in" / "contacts-b.csv", "contact_id\nc2\n")
    report = ingest_paths(con, [tmp_path / "in"])
    assert report.files[0].snapshot_at == report.files[1].snapshot_at
    assert rows(con, "select contact_id from contacts order by 1") == [("c1",), ("c2",)]


def test_snapshot_at_comes_from_the_column(con, tmp_path):
    result = load(
        con,
        tmp_path / "organizations.csv",
        "org_id,name,snapshot_at\no1,A,2026-01-02T10:00:00+02:00\n",
        as_of=T3,
    )
    assert result.snapshot_at == datetime(2026, 1, 2, 8)
    assert rows(con, "select valid_from from organization_versions") == [(datetime(2026, 1, 2, 8),)]
    assert "snapshot_at" not in warehouse.table_columns(con, "organization_versions")


def test_snapshot_at_comes_from_as_of_without_the_column(con, tmp_path):
    as_of = datetime(2026, 1, 2, 10, tzinfo=timezone(timedelta(hours=2)))
    result = load(con, tmp_path / "organizations.csv", "org_id\no1\n", as_of=as_of)
    assert result.snapshot_at == datetime(2026, 1, 2, 8)


def test_snapshot_at_is_the_load_time_without_the_column_or_as_of(con, tmp_path):
    before = datetime.now(UTC).replace(tzinfo=None)
    result = load(con, tmp_path / "organizations.csv", "org_id\no1\n")
    after = datetime.now(UTC).replace(tzinfo=None)
    assert before <= result.snapshot_at <= after
    assert rows(con, "select valid_from from organizations") == [(result.snapshot_at,)]


def test_an_empty_part_with_a_snapshot_at_column_states_no_snapshot(con, tmp_path):
    """It has no time to state emptiness at: it must not empty the kind at load time."""
    load(con, tmp_path / "organizations-a.csv", "org_id,snapshot_at\no1,2026-01-01\n")
    result = load(con, tmp_path / "organizations-b.csv", "org_id,snapshot_at\n")
    assert (result.status, result.snapshot_at) == ("loaded", None)
    assert rows(con, "select org_id from organizations") == [("o1",)]
    assert rows(con, "select count(*) from snapshot_files") == [(1,)]


def test_a_file_with_several_snapshot_at_values_feeds_each_snapshot(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        "org_id,name,snapshot_at\no1,A,2026-01-01\no1,B,2026-01-02\no2,C,2026-01-02\n",
    )
    assert state(con, "organizations", T1) == [("o1", "A")]
    assert state(con, "organizations", T2) == [("o1", "B"), ("o2", "C")]


def test_history_is_kept_as_changes_not_copies(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,name,tags\no1,A,x;y\no2,B,\n", as_of=T1)
    load(con, tmp_path / "organizations-2.csv", "org_id,name,tags\no1,A,x;y\no2,B2,\n", as_of=T2)
    load(con, tmp_path / "organizations-3.csv", "org_id,name,tags\no1,A,x;y\no2,B2,\n", as_of=T3)
    assert rows(
        con, "select org_id, name, valid_from, valid_to from organization_versions order by all"
    ) == [
        ("o1", "A", T1, None),
        ("o2", "B", T1, T2),
        ("o2", "B2", T2, None),
    ]


def test_a_new_custom_column_does_not_version_unchanged_rows(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,name\no1,A\n", as_of=T1)
    load(con, tmp_path / "organizations-2.csv", "org_id,name,plan\no1,A,\n", as_of=T2)
    assert rows(con, "select count(*) from organization_versions") == [(1,)]


def _model_versions(snapshots: dict[datetime, dict[str, str]]) -> int:
    """How many versions history as changes needs: one per run of equal values of a key."""
    count = 0
    keys = {key for rows_at in snapshots.values() for key in rows_at}
    for key in keys:
        previous = None
        for at in sorted(snapshots):
            value = snapshots[at].get(key)
            if value is not None and value != previous:
                count += 1
            previous = value
    return count


@pytest.mark.parametrize("seed", range(8))
def test_history_matches_a_model_whatever_the_arrival_order(con, tmp_path, seed):
    """Snapshots (some split over two files) arrive in random order; every as-of state and
    the number of versions equal those of the model "latest snapshot at or before T"."""
    rng = random.Random(seed)
    times = [T1 + timedelta(hours=h) for h in sorted(rng.sample(range(48), 4))]
    snapshots = {
        at: {key: rng.choice("ab") for key in ("o1", "o2", "o3", "o4") if rng.random() < 0.75}
        for at in times
    }
    files = []
    for index, (at, rows_at) in enumerate(snapshots.items()):
        keys = sorted(rows_at)
        parts = [keys[: len(keys) // 2], keys[len(keys) // 2 :]] if rng.random() < 0.5 else [keys]
        for part_index, part in enumerate(parts):
            text = "org_id,name,snapshot_at\n" + "".join(
                f"{key},{rows_at[key]},{at.isoformat()}\n" for key in part
            )
            files.append((f"organizations-{index}-{part_index}.csv", text))
    rng.shuffle(files)
    for name, text in files:
        assert load(con, tmp_path / name, text).status == "loaded"
    for at in [T1, *times, *(t + timedelta(minutes=30) for t in times)]:
        past = [t for t in times if t <= at]
        expected = sorted(snapshots[max(past)].items()) if past else []
        assert state(con, "organizations", at) == expected, (at, files)
    assert rows(con, "select count(*) from organization_versions") == [
        (_model_versions(snapshots),)
    ]
    overlapping_or_unmerged = rows(
        con,
        "select count(*) from organization_versions a join organization_versions b "
        "on a.org_id = b.org_id and a.valid_from < b.valid_from "
        "and (a.valid_to is null or a.valid_to > b.valid_from "
        "or (a.valid_to = b.valid_from and a.row_hash = b.row_hash))",
    )
    assert overlapping_or_unmerged == [(0,)]


# --- custom fields -----------------------------------------------------------------------------


def custom_fields(con) -> dict[str, str]:
    return dict(rows(con, "select name, type from custom_fields order by name"))


def test_custom_field_types_are_inferred_from_csv_values(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        """
        org_id,seats,revenue,zip,code,plus,renewal_date,last_seen,mixed_times,partner,note
        o1,10,-2.5,02134,0,+5,2026-03-01,2026-01-05T09:00:00,2026-01-05,true,hello
        o2,0,1e3,12345,0.5,6,2026-04-01,2026-01-05 10:15,2026-01-05T10:00:00Z,FALSE,42
        o3,,,,,,,,,,
        """,
        as_of=T1,
    )
    assert custom_fields(con) == {
        "seats": "number",
        "revenue": "number",
        "zip": "text",  # a leading 0: a zip code stays intact
        "code": "number",  # "0" and "0.5" are numbers, not leading zeros
        "plus": "text",  # a leading +
        "renewal_date": "date",
        "last_seen": "timestamp",
        "mixed_times": "timestamp",
        "partner": "bool",
        "note": "text",
    }
    columns = warehouse.table_columns(con, "organization_versions")
    assert [columns[name] for name in ("seats", "zip", "renewal_date", "last_seen", "partner")] == [
        "DOUBLE",
        "VARCHAR",
        "DATE",
        "TIMESTAMP",
        "BOOLEAN",
    ]
    assert rows(
        con,
        "select org_id, seats, zip, plus, renewal_date, last_seen, partner, note "
        "from organizations order by 1",
    ) == [
        ("o1", 10.0, "02134", "+5", datetime(2026, 3, 1).date(), datetime(2026, 1, 5, 9), True, "hello"),
        ("o2", 0.0, "12345", "6", datetime(2026, 4, 1).date(), datetime(2026, 1, 5, 10, 15), False, "42"),
        ("o3", None, None, None, None, None, None, None),
    ]  # fmt: skip


def test_custom_field_types_are_inferred_from_json_values(con, tmp_path):
    load(
        con,
        tmp_path / "contacts.jsonl",
        [
            {"contact_id": "c1", "score": 7, "zip": "02134", "vip": True, "born": "1990-05-01"},
            {"contact_id": "c2", "score": 7.5, "zip": "10001", "vip": False, "born": None},
        ],
        as_of=T1,
    )
    assert custom_fields(con) == {"born": "date", "score": "number", "vip": "bool", "zip": "text"}
    assert rows(con, "select contact_id, score, zip, vip from contacts order by 1") == [
        ("c1", 7.0, "02134", True),
        ("c2", 7.5, "10001", False),
    ]


def test_parquet_types_are_kept(con, tmp_path):
    table = pa.table(
        {
            "org_id": ["o1"],
            "zip": pa.array([2134], pa.int64()),
            "code": ["123"],  # text in Parquet stays text
            "renewal_date": pa.array([datetime(2026, 3, 1).date()], pa.date32()),
            "last_seen": pa.array([datetime(2026, 1, 5, 9)], pa.timestamp("us")),
            "partner": [True],
        }
    )
    load(con, tmp_path / "organizations.parquet", table, as_of=T1)
    assert custom_fields(con) == {
        "code": "text",
        "last_seen": "timestamp",
        "partner": "bool",
        "renewal_date": "date",
        "zip": "number",
    }
    assert rows(con, "select zip, code, renewal_date, last_seen, partner from organizations") == [
        (2134.0, "123", datetime(2026, 3, 1).date(), datetime(2026, 1, 5, 9), True)
    ]


def test_a_type_conflicting_with_an_earlier_snapshot_makes_the_field_text(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,seats\no1,10\no2,3\n", as_of=T1)
    assert custom_fields(con) == {"seats": "number"}
    load(con, tmp_path / "organizations-2.csv", "org_id,seats\no1,ten\no2,3\n", as_of=T2)
    assert custom_fields(con) == {"seats": "text"}
    assert warehouse.table_columns(con, "organization_versions")["seats"] == "VARCHAR"
    assert state(con, "organizations", T1, "org_id, seats") == [("o1", "10"), ("o2", "3")]
    assert state(con, "organizations", T2, "org_id, seats") == [("o1", "ten"), ("o2", "3")]
    # o2 did not change: the conversion kept its version (and its hash) as it was
    assert rows(con, "select count(*) from organization_versions where org_id = 'o2'") == [(1,)]


def test_a_compatible_later_snapshot_keeps_the_type(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,seats\no1,10\n", as_of=T1)
    load(con, tmp_path / "organizations-2.csv", "org_id,seats\no1,12\no2,\n", as_of=T2)
    assert custom_fields(con) == {"seats": "number"}
    assert state(con, "organizations", T2, "org_id, seats") == [("o1", 12.0), ("o2", None)]


def test_a_later_number_in_a_text_field_is_stored_as_written(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,zip\no1,02134\n", as_of=T1)
    load(
        con,
        tmp_path / "organizations-2.parquet",
        pa.table({"org_id": ["o1"], "zip": [2135]}),
        as_of=T2,
    )
    assert custom_fields(con) == {"zip": "text"}
    assert state(con, "organizations", T2, "zip") == [("2135",)]


def test_a_field_without_values_yet_takes_the_type_of_its_first_values(con, tmp_path):
    load(con, tmp_path / "organizations-1.csv", "org_id,renewal_date\no1,\n", as_of=T1)
    assert custom_fields(con) == {"renewal_date": "text"}
    load(con, tmp_path / "organizations-2.csv", "org_id,renewal_date\no1,2026-03-01\n", as_of=T2)
    assert custom_fields(con) == {"renewal_date": "date"}
    assert state(con, "organizations", T2, "renewal_date") == [(datetime(2026, 3, 1).date(),)]


def test_integers_too_long_for_a_double_stay_text(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        "org_id,crm_id\no1,1234567890123456789\no2,7\n",
        as_of=T1,
    )
    assert custom_fields(con) == {"crm_id": "text"}
    assert state(con, "organizations", T1, "org_id, crm_id") == [
        ("o1", "1234567890123456789"),
        ("o2", "7"),
    ]


# --- values: tags, timestamps, text ------------------------------------------------------------


def test_csv_tags_are_semicolon_separated(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        'org_id,tags\no1,vip;eu\no2," a ; b ;; "\no3,\no4,one\n',
        as_of=T1,
    )
    assert rows(con, "select org_id, tags from organizations order by 1") == [
        ("o1", ["vip", "eu"]),
        ("o2", ["a", "b"]),
        ("o3", []),
        ("o4", ["one"]),
    ]


def test_json_and_parquet_tags_are_lists(con, tmp_path):
    load(con, tmp_path / "organizations.jsonl", [{"org_id": "o1", "tags": ["a;b", "c"]}], as_of=T1)
    load(
        con,
        tmp_path / "contacts.parquet",
        pa.table({"contact_id": ["c1"], "tags": [["x", "y"]]}),
        as_of=T1,
    )
    assert rows(con, "select tags from organizations") == [(["a;b", "c"],)]
    assert rows(con, "select tags from contacts") == [(["x", "y"],)]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2026-01-05T09:30:00", datetime(2026, 1, 5, 9, 30)),
        ("2026-01-05 09:30", datetime(2026, 1, 5, 9, 30)),
        ("2026-01-05T09:30:00Z", datetime(2026, 1, 5, 9, 30)),
        ("2026-01-05T09:30:00+02:00", datetime(2026, 1, 5, 7, 30)),
        ("2026-01-05T09:30:00.250-0500", datetime(2026, 1, 5, 14, 30, 0, 250000)),
        ("2026-01-05", datetime(2026, 1, 5)),
    ],
)
def test_timestamps_without_offset_are_utc_and_with_offset_are_converted(
    con, tmp_path, written, stored
):
    load(
        con,
        tmp_path / "activities.csv",
        f"event_id,contact_id,activity_type,occurred_at\ne1,c1,x,{written}\n",
    )
    assert rows(con, "select occurred_at from activities") == [(stored,)]


def test_parquet_timestamps_with_a_zone_are_converted_to_utc(con, tmp_path):
    zone = timezone(timedelta(hours=-5))
    table = pa.table(
        {
            "event_id": ["e1", "e2"],
            "contact_id": ["c1", "c1"],
            "activity_type": ["x", "x"],
            "occurred_at": pa.array(
                [datetime(2026, 1, 5, 9, tzinfo=zone), datetime(2026, 1, 5, 10, tzinfo=zone)],
                pa.timestamp("us", tz="America/New_York"),
            ),
        }
    )
    load(con, tmp_path / "activities.parquet", table)
    assert rows(con, "select occurred_at from activities order by 1") == [
        (datetime(2026, 1, 5, 14),),
        (datetime(2026, 1, 5, 15),),
    ]


def test_csv_keeps_unicode_quotes_and_embedded_newlines(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        'org_id,name\nö1,"Zürich ""Café"", Ltd"\no2,"two\nlines"\no3,日本 🚀\n',
        as_of=T1,
    )
    assert rows(con, "select org_id, name from organizations order by 1") == [
        ("o2", "two\nlines"),
        ("o3", "日本 🚀"),
        ("ö1", 'Zürich "Café", Ltd'),
    ]


def test_row_numbers_count_records_not_physical_lines(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        'org_id,name\no1,"a\nb"\n,no key\n',
        as_of=T1,
    )
    assert rejected(con) == [(2, "organizations", "missing_required: org_id")]


def test_a_csv_with_a_byte_order_mark_and_crlf_loads(con, tmp_path):
    path = tmp_path / "organizations.csv"
    path.write_bytes("\ufefforg_id,name\r\no1,A\r\n".encode())
    assert ingest_paths(con, [path], as_of=T1).ok
    assert rows(con, "select org_id, name from organizations") == [("o1", "A")]


# --- activities --------------------------------------------------------------------------------


def event(event_id: str, **values) -> dict:
    return {
        "event_id": event_id,
        "contact_id": "c1",
        "activity_type": "page_viewed",
        "occurred_at": "2026-01-05T09:00:00",
        **values,
    }


def test_activities_are_deduplicated_by_event_id_across_and_within_files(con, tmp_path):
    first = load(con, tmp_path / "activities-1.jsonl", [event("e1"), event("e2")])
    second = load(
        con,
        tmp_path / "activities-2.jsonl",
        [event("e2", activity_type="changed"), event("e3"), event("e3", activity_type="later")],
    )
    assert (first.rows_loaded, first.rows_duplicate) == (2, 0)
    assert (second.rows_total, second.rows_loaded, second.rows_duplicate) == (3, 1, 2)
    assert rows(con, "select event_id, activity_type from activities order by 1") == [
        ("e1", "page_viewed"),
        ("e2", "page_viewed"),
        ("e3", "page_viewed"),
    ]
    assert rows(con, "select count(*) from rejected_rows") == [(0,)]


def test_a_duplicate_of_a_stored_event_is_found_at_either_end_of_the_files_id_range(con, tmp_path):
    # The anti-join reads only the stored ids between the file's least and greatest: ids at
    # both bounds, and stored ids outside them, must still be told apart exactly.
    load(con, tmp_path / "activities-1.jsonl", [event(i) for i in ("a", "e1", "m", "e9", "z")])
    again = load(con, tmp_path / "activities-2.jsonl", [event(i) for i in ("e1", "e5", "e9")])
    assert (again.rows_loaded, again.rows_duplicate) == (1, 2)
    assert rows(con, "select event_id from activities where load_seq = 2") == [("e5",)]


def test_activity_files_of_one_call_dedupe_in_file_order_and_each_has_its_ledger_row(con, tmp_path):
    paths = [
        write(
            tmp_path / "activities-1.csv",
            "event_id,contact_id,activity_type,occurred_at\n"
            "e1,c1,x,2026-01-05T09:00:00\ne2,c1,x,2026-01-05T09:00:00\n",
        ),
        write(tmp_path / "activities-2.parquet", pa.Table.from_pylist([event("e2"), event("e3")])),
        write(tmp_path / "activities-3.jsonl", [event("e3"), event("e3"), event("e4")]),
    ]
    report = ingest_paths(con, paths)
    counts = [(f.rows_total, f.rows_loaded, f.rows_duplicate) for f in report.files]
    assert counts == [(2, 2, 0), (2, 1, 1), (3, 1, 2)]
    assert rows(con, "select event_id, load_seq from activities order by 1") == [
        ("e1", 1),
        ("e2", 1),
        ("e3", 2),
        ("e4", 3),
    ]
    assert rows(con, "select file, rows_loaded from ingested_files order by load_seq") == [
        (str(path), loaded) for path, (_, loaded, _) in zip(paths, counts, strict=True)
    ]


def test_an_activity_file_rejected_whole_among_others_costs_only_itself(con, tmp_path):
    # The files of a call load together in one transaction; a file rejected whole rolls
    # that back, and the files load one by one: the others load, each row accounted for.
    paths = [
        write(tmp_path / "activities-1.jsonl", [event("e1"), event("e2")]),
        write(tmp_path / "activities-2.parquet", b"not parquet"),
        write(tmp_path / "activities-3.csv", "event_id,contact_id\ne3,c1\n"),
        write(tmp_path / "activities-4.jsonl", [event("e2"), event("e4")]),
    ]
    report = ingest_paths(con, paths)
    assert [f.status for f in report.files] == ["loaded", "rejected", "rejected", "loaded"]
    assert "activities-2.parquet" in report.files[1].message
    assert "activity_type" in report.files[2].message
    assert (report.files[3].rows_loaded, report.files[3].rows_duplicate) == (1, 1)
    assert all(accounted(f) for f in report.files if f.status == "loaded")
    assert rows(con, "select event_id from activities order by 1") == [("e1",), ("e2",), ("e4",)]
    assert rows(con, "select count(*) from ingested_files") == [(2,)]


def test_activity_properties_may_be_an_object_or_text_holding_one(con, tmp_path):
    load(
        con,
        tmp_path / "activities.jsonl",
        [event("e1", properties={"value": 5}), event("e2", properties='{"value": 6}'), event("e3")],
    )
    assert rows(con, "select event_id, properties ->> 'value' from activities order by 1") == [
        ("e1", "5"),
        ("e2", "6"),
        ("e3", None),
    ]


# --- bad rows ----------------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_reason_codes_and_the_rest_loads(con, tmp_path):
    path = tmp_path / "activities-bad.csv"
    result = load(
        con,
        path,
        """
        event_id,contact_id,activity_type,occurred_at
        e1,c1,x,2026-01-05T09:00:00
        ,c1,x,2026-01-05T09:00:00
        e3,c1,x,yesterday
        e4,c1,x,2026-13-45T09:00:00
        e5,c1,x,2026-01-05T09:00:00
        e6,\u00a0,x,2026-01-05T09:00:00
        """,
    )
    assert result.status == "loaded"
    assert rejected(con) == [
        (2, "activities", "missing_required: event_id"),
        (3, "activities", "bad_timestamp: occurred_at"),
        (4, "activities", "bad_timestamp: occurred_at"),
        (6, "activities", "missing_required: contact_id"),  # a no-break space is blank
    ]
    assert rows(con, "select file, raw from rejected_rows where row_number = 3") == [
        (
            str(path),
            '{"event_id":"e3","contact_id":"c1","activity_type":"x","occurred_at":"yesterday"}',
        )
    ]
    assert rows(con, "select event_id from activities order by 1") == [("e1",), ("e5",)]
    assert (result.rows_loaded, result.rows_rejected) == (2, 4)


def test_a_bad_number_is_rejected(con, tmp_path):
    result = load(con, tmp_path / "organizations.csv", "org_id,seats\no1,10\no2,1e999\n", as_of=T1)
    assert rejected(con) == [(2, "organizations", "bad_number: seats")]
    assert rows(con, "select org_id, seats from organizations") == [("o1", 10.0)]
    assert result.rows_loaded == 1


def test_a_bad_bool_is_rejected(con, tmp_path):
    load(con, tmp_path / "contacts.csv", "contact_id,sms_opt_in\nc1,yes\nc2,maybe\nc3,\n", as_of=T1)
    assert rejected(con) == [(2, "contacts", "bad_bool: sms_opt_in")]
    assert rows(con, "select contact_id, sms_opt_in from contacts order by 1") == [
        ("c1", True),
        ("c3", None),
    ]


def test_a_bad_subscription_status_is_rejected(con, tmp_path):
    load(
        con,
        tmp_path / "subscriptions.csv",
        "contact_id,audience,status\nc1,*,Subscribed\nc2,news,maybe\n",
        as_of=T1,
    )
    assert rejected(con) == [(2, "subscriptions", "bad_value: status")]
    assert rows(con, "select contact_id, status from subscriptions") == [("c1", "subscribed")]


def test_a_blank_required_value_is_missing(con, tmp_path):
    load(
        con,
        tmp_path / "memberships.jsonl",
        [
            {"contact_id": "c1", "org_id": "  "},
            {"contact_id": "c2"},
            {"contact_id": "c3", "org_id": "o1"},
        ],
        as_of=T1,
    )
    assert rejected(con) == [
        (1, "memberships", "missing_required: org_id"),
        (2, "memberships", "missing_required: org_id"),
    ]


def test_a_duplicate_key_keeps_the_first_row_and_rejects_later_ones(con, tmp_path):
    load(
        con,
        tmp_path / "organizations.csv",
        "org_id,name\no1,first\no2,other\no1,second\no1,third\n",
        as_of=T1,
    )
    assert rejected(con) == [
        (3, "organizations", "duplicate_key: o1"),
        (4, "organizations", "duplicate_key: o1"),
    ]
    assert rows(con, "select org_id, name from organizations order by 1") == [
        ("o1", "first"),
        ("o2", "other"),
    ]


def test_a_duplicate_key_across_files_of_one_snapshot_keeps_the_first_by_file_name(con, tmp_path):
    write(tmp_path / "in" / "organizations-b.csv", "org_id,name\no1,from b\n")
    write(tmp_path / "in" / "organizations-a.csv", "org_id,name\no2,from a\no1,from a\n")
    report = ingest_paths(con, [tmp_path / "in"], as_of=T1)
    assert report.ok
    assert rows(con, "select file, row_number, reason from rejected_rows") == [
        (str(tmp_path / "in" / "organizations-b.csv"), 1, "duplicate_key: o1")
    ]
    assert rows(con, "select org_id, name from organizations order by 1") == [
        ("o1", "from a"),
        ("o2", "from a"),
    ]


def test_a_duplicate_composite_key_names_both_parts(con, tmp_path):
    load(con, tmp_path / "memberships.csv", "contact_id,org_id\nc1,o1\nc1,o2\nc1,o1\n", as_of=T1)
    assert rejected(con) == [(3, "memberships", "duplicate_key: c1/o1")]


def test_a_non_object_json_line_is_rejected_with_its_line_number(con, tmp_path):
    path = tmp_path / "activities.jsonl"
    path.write_text(
        json.dumps(event("e1")) + "\n\n[1, 2]\n{broken\n" + json.dumps(event("e2")) + "\n"
    )
    result = ingest_paths(con, [path]).files[0]
    assert rejected(con) == [
        (3, "activities", "bad_json: line"),
        (4, "activities", "bad_json: line"),
    ]
    assert rows(con, "select raw from rejected_rows order by row_number") == [
        ("[1, 2]",),
        ("{broken",),
    ]
    assert (result.rows_total, result.rows_loaded, result.rows_rejected) == (4, 2, 2)


def test_nothing_is_silently_dropped(con, tmp_path):
    load(
        con,
        tmp_path / "activities-0.csv",
        "event_id,contact_id,activity_type,occurred_at\ne0,c1,x,2026-01-05\n",
    )
    result = load(
        con,
        tmp_path / "activities-1.csv",
        """
        event_id,contact_id,activity_type,occurred_at,properties
        e0,c1,x,2026-01-05,
        e1,c1,x,2026-01-05,
        e1,c1,x,2026-01-05,
        e2,,x,2026-01-05,
        e3,c1,x,soon,
        e4,c1,x,2026-01-05,[1]
        e5,c1,x,2026-01-05,"{""a"": 1}"
        """,
    )
    assert accounted(result)
    assert (result.rows_total, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (
        7,
        2,
        2,
        3,
    )
    assert rejected(con) == [
        (4, "activities", "missing_required: contact_id"),
        (5, "activities", "bad_timestamp: occurred_at"),
        (6, "activities", "bad_json: properties"),
    ]
    assert rows(
        con,
        "select rows_total, rows_loaded, rows_duplicate, rows_rejected from ingested_files where file like '%activities-1.csv'",
    ) == [(7, 2, 2, 3)]


# --- whole files rejected ----------------------------------------------------------------------


def nothing_loaded(con) -> bool:
    tables = [
        "ingested_files",
        "rejected_rows",
        "activities",
        "snapshot_files",
        "custom_fields",
        "organization_versions",
        "contact_versions",
    ]
    return all(rows(con, f"select count(*) from {table}") == [(0,)] for table in tables)


@pytest.mark.parametrize(
    ("name", "content", "column"),
    [
        ("organizations.csv", "name,plan\nAcme,pro\n", "org_id"),
        ("activities.jsonl", [{"event_id": "e1", "contact_id": "c1", "activity_type": "x"}], "occurred_at"),
        ("subscriptions.parquet", pa.table({"contact_id": ["c1"], "status": ["subscribed"]}), "audience"),
    ],
)  # fmt: skip
def test_a_file_lacking_a_required_column_is_rejected_whole(con, tmp_path, name, content, column):
    path = write(tmp_path / name, content)
    report = ingest_paths(con, [path], as_of=T1)
    assert not report.ok
    result = report.files[0]
    assert result.status == "rejected"
    assert str(path) in result.message and repr(column) in result.message
    assert nothing_loaded(con)


def test_a_whole_file_reject_leaves_the_other_files_loading(con, tmp_path):
    write(tmp_path / "in" / "contacts.csv", "email\na@x.test\n")
    write(tmp_path / "in" / "organizations.csv", "org_id\no1\n")
    report = ingest_paths(con, [tmp_path / "in"], as_of=T1)
    assert [f.status for f in report.files] == ["loaded", "rejected"]
    assert not report.ok
    assert rows(con, "select org_id from organizations") == [("o1",)]


def test_a_rejected_file_is_not_in_the_ledger_so_a_fixed_copy_loads(con, tmp_path):
    path = tmp_path / "organizations.csv"
    assert not ingest_paths(con, [write(path, "name\nAcme\n")], as_of=T1).ok
    assert load(con, path, "org_id,name\no1,Acme\n", as_of=T1).status == "loaded"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("organizations.parquet", b"not a parquet file at all"),
        ("organizations.csv", b"org_id,name\no1,\xff\xfe\n"),
        ("organizations.csv", b"org_id,name\no1,A,extra\n"),
        # an unterminated quote would swallow the rows after it into one value
        ("organizations.csv", b'org_id,name\no1,"Acme\no2,Beta\no3,Gamma\n'),
        ("organizations.csv", b'org_id,name\no1,"Acme"x\no2,Beta\n'),
    ],
)
def test_a_file_that_cannot_be_read_is_rejected_whole(con, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    report = ingest_paths(con, [path], as_of=T1)
    assert not report.ok
    assert report.files[0].status == "rejected"
    assert str(path) in report.files[0].message
    assert nothing_loaded(con)


def test_a_damaged_parquet_file_adds_no_custom_column(con, tmp_path):
    path = tmp_path / "organizations.parquet"
    pq.write_table(
        pa.table({"org_id": [f"o{i}" for i in range(20000)], "plan": ["p"] * 20000}), path
    )
    data = bytearray(path.read_bytes())
    for index in range(len(data) // 4, len(data) // 2):
        data[index] = (data[index] * 7 + 3) % 256
    path.write_bytes(bytes(data))
    report = ingest_paths(con, [path], as_of=T1)
    assert not report.ok
    assert "plan" not in warehouse.table_columns(con, "organization_versions")
    assert nothing_loaded(con)


def test_a_missing_file_is_rejected_whole(con, tmp_path):
    report = ingest_paths(con, [tmp_path / "organizations.csv"])
    assert not report.ok
    assert str(tmp_path / "organizations.csv") in report.files[0].message


@pytest.mark.parametrize("name", ["organizations.csv", "activities.jsonl"])
def test_an_empty_file_lacks_the_required_columns(con, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    report = ingest_paths(con, [path], as_of=T1)
    assert not report.ok
    assert "missing required column" in report.files[0].message
    assert nothing_loaded(con)


@pytest.mark.parametrize("header", ["org_id,name\n", "org_id,name"])
def test_a_header_only_csv_is_an_empty_snapshot(con, tmp_path, header):
    load(con, tmp_path / "organizations-1.csv", "org_id,name\no1,A\n", as_of=T1)
    result = load(con, tmp_path / "organizations-2.csv", header, as_of=T2)
    assert (result.status, result.rows_total, result.snapshot_at) == ("loaded", 0, T2)
    assert state(con, "organizations", T2) == []


def test_a_header_only_activities_file_loads_nothing(con, tmp_path):
    result = load(
        con, tmp_path / "activities.csv", "event_id,contact_id,activity_type,occurred_at\n"
    )
    assert (result.status, result.rows_total, result.rows_loaded) == ("loaded", 0, 0)


def test_read_as_of_refuses_activities(con):
    with pytest.raises(ValueError, match="activities"):
        read_as_of(con, "activities", T1)


# --- through the command line ------------------------------------------------------------------


def test_ingest_exits_0_when_only_rows_are_rejected(orgjourney, cli_paths):
    write(cli_paths["inbox"] / "organizations.csv", "org_id,name\no1,A\n,B\n")
    result = orgjourney("ingest", "--as-of", "2026-01-01T00:00:00Z")
    assert "organizations.csv" in result.output


def test_ingest_exits_1_naming_the_file_and_the_column_of_a_whole_file_reject(
    orgjourney, cli_paths
):
    write(cli_paths["inbox"] / "organizations.csv", "org_id\no1\n")
    write(cli_paths["inbox"] / "activities-1.csv", "event_id,contact_id,activity_type\ne1,c1,x\n")
    result = orgjourney("ingest", expect_exit=1)
    assert "activities-1.csv" in result.output and "occurred_at" in result.output


# --- fault points ------------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["ingest_staged", "ingest_file"])
def test_a_fault_inside_a_group_of_activity_files_leaves_the_group_whole_or_not_at_all(
    con, tmp_path, monkeypatch, point
):
    from orgjourney_pipeline.faults import FAULT_ENV, InjectedFault

    paths = [write(tmp_path / f"activities-{n}.jsonl", [event(f"e{n}")]) for n in (1, 2, 3)]
    monkeypatch.setenv(FAULT_ENV, f"raise:{point}")
    with pytest.raises(InjectedFault):
        ingest_paths(con, paths)
    committed = rows(con, "select count(*) from ingested_files")[0][0]
    assert committed == (3 if point == "ingest_file" else 0)
    assert rows(con, "select count(*) from activities") == [(committed,)]
    monkeypatch.delenv(FAULT_ENV)
    again = ingest_paths(con, paths).files
    assert [f.status for f in again] == ["already_loaded" if committed else "loaded"] * 3
    assert rows(con, "select event_id from activities order by 1") == [("e1",), ("e2",), ("e3",)]


@settings(max_examples=300, deadline=None)
@example(" ")
@example("   ")
@example("\t")
@example(" {}")
@example("{} ")
@example("[1]")
@example('{"a":1} x')
@example('{"a":1}')
@example("{")
@example("")
@example('{"a":NaN}')
@example("\xa0")
@example("\u3000x")
@example("\x9f")
@example("!")
@given(
    st.text(alphabet=st.sampled_from(' \t\n{}[]":,a1.-eE\\\xa0\u2000\u3000\x85\x9f!'), max_size=10)
    | st.from_regex(r"\s*\{.*\}\s*", fullmatch=True)
    | st.text(max_size=6)
)
def test_the_fast_blank_and_json_object_checks_give_the_values_of_their_definitions(text):
    # blank_is_null and json_object skip work on the common values; their definitions are
    # `trim(t) <> ''` and "try_cast to JSON is an object", and they must agree on any text.
    expressions = [
        sql.expression("blank_is_null", text=exp.column("t")),
        exp.Case(ifs=[exp.If(this=exp.condition("trim(t) <> ''"), true=exp.column("t"))]),
        sql.expression("json_object", text=exp.column("t")),
        exp.condition(
            "case when json_type(try_cast(t as json)) = 'OBJECT' then try_cast(t as json) end"
        ),
    ]
    select = ", ".join(e.sql(dialect="duckdb") for e in expressions)
    try:
        fast_blank, blank, fast_json, json_object = _MEMORY.execute(
            f"select {select} from (select ?::varchar as t)", [text]
        ).fetchone()
    except UnicodeError:  # a lone surrogate: Python cannot hand it to DuckDB
        return
    assert (fast_blank, fast_json) == (blank, json_object)


@settings(max_examples=300, deadline=None)
@example("0001-01-01T00:00+01:00")
@example("0002-01-01T00:00+18:00")
@example("9998-12-31T23:59-18:00")
@example("9999-12-31T23:00-02:00")
@example("0000-06-01")
@example(" 2026-02-30 ")
@given(
    st.from_regex(
        r"\s?(0000|0001|0002|9998|9999|[0-9]{4})-(0[1-9]|1[0-2]|3[0-9])-(0[1-9]|[1-3][0-9])"
        r"([Tt ][0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
        r"([Zz]|[+-](0[0-9]|1[0-8])(:?[0-5][0-9])?)?)?\s?",
        fullmatch=True,
    )
    | st.text(alphabet=st.sampled_from(" 0129-:TtZz+."), max_size=22)
)
def test_the_timestamp_check_gives_the_value_of_its_definition(text):
    # values/timestamp takes upper-case texts without blanks as they are, and casts twice only
    # for the years an offset can push out of 1 to 9999; its definition: the trimmed text
    # matches the pattern, and its instant falls in those years.
    value = "try_cast(upper(trim(t)) as timestamptz) at time zone 'UTC'"
    pattern = exp.Literal.string(TIMESTAMP_RE).sql(dialect="duckdb")
    definition = (
        f"case when regexp_full_match(trim(t), {pattern}) and year({value}) between 1 and 9999"
        f" then {value} end"
    )
    fast = fields.value_expression(
        Column("t", "t", "VARCHAR", "timestamp"), exp.column("t"), native=False
    )
    select = f"select {fast.sql(dialect='duckdb')}, {definition} from (select ?::varchar as t)"
    fast_value, value_by_definition = _MEMORY.execute(select, [text]).fetchone()
    assert fast_value == value_by_definition


_MEMORY = duckdb.connect()


@pytest.mark.parametrize("point", ["ingest_staged", "ingest_file"])
def test_a_fault_inside_a_file_load_leaves_it_whole_or_not_at_all(
    con, tmp_path, monkeypatch, point
):
    from orgjourney_pipeline.faults import FAULT_ENV, InjectedFault

    path = write(tmp_path / "organizations.csv", "org_id,name\no1,A\n")
    monkeypatch.setenv(FAULT_ENV, f"raise:{point}")
    with pytest.raises(InjectedFault):
        ingest_paths(con, [path], as_of=T1)
    committed = rows(con, "select count(*) from ingested_files")[0][0]
    assert committed == (1 if point == "ingest_file" else 0)  # after the commit, or before it
    assert rows(con, "select count(*) from organization_versions") == [(committed,)]
    monkeypatch.delenv(FAULT_ENV)
    again = ingest_paths(con, [path], as_of=T1).files[0]
    assert again.status == ("already_loaded" if committed else "loaded")
    assert state(con, "organizations", T1) == [("o1", "A")]
