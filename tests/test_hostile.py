"""Hostile input: a corpus of bad files (`tests/hostile/`), each with the outcome it must get.

Input files are rejected whole (nothing of them loaded, a message naming the file and the
problem) or loaded with their bad rows in `rejected_rows`, as SPEC section 1 says — and
nothing is lost: rows in = loaded + duplicates + rejected, each accounted for in the tables.
Big files (a 10 MB field) are generated in tmp_path, never committed. Journey files with wrong
types, unknown keys, alias bombs or huge numbers are invalid with a `file:line:` message and
stop only their own journey.

Known bugs are marked `xfail(strict=True)` with the reason: when they are fixed the test
passes, strict xfail turns that into a failure, and the marker must go.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orgjourney_pipeline.ingest import file_kind, ingest_paths

HOSTILE = Path(__file__).parent / "hostile"
ORGJOURNEY = str(Path(sys.executable).parent / "orgjourney")
TEN_MB = 10 * 2**20


@dataclass(frozen=True)
class Outcome:
    """What ingesting one file must give."""

    status: str  # loaded | rejected (whole)
    rows: int = 0  # data rows in the file
    loaded: int = 0
    duplicate: int = 0
    reasons: tuple[str, ...] = ()  # of the rejected rows, in row order
    message: str = ""  # a whole-file rejection's message says this


# file in tests/hostile/ -> its outcome
CORPUS: dict[str, Outcome] = {
    "activities-truncated.csv": Outcome("rejected", message="Expected Number of Columns: 5"),
    "activities-unterminated-quote.csv": Outcome("rejected", message="unterminated quote"),
    "contacts-semicolons.csv": Outcome("rejected", message="missing required column 'contact_id'"),
    "organizations-not-really.parquet": Outcome("rejected", message="cannot read as Parquet"),
    "activities-broken-line.jsonl": Outcome(
        "loaded", rows=3, loaded=2, reasons=("bad_json: line",)
    ),
    "activities-odd-lines.jsonl": Outcome(
        "loaded",
        rows=4,  # the blank line is not a row
        loaded=1,
        reasons=("bad_json: line", "bad_json: line", "bad_timestamp: occurred_at"),
    ),
    "contacts-latin1.csv": Outcome("rejected", message="invalid UTF8 data"),
    "activities-latin1.jsonl": Outcome("rejected", message="valid UTF-8"),
    "activities-year-9999.csv": Outcome(
        "loaded", rows=3, loaded=2, reasons=("bad_timestamp: occurred_at",)
    ),
    "activities-empty.csv": Outcome("rejected", message="missing required column 'event_id'"),
    "memberships-header-only.csv": Outcome("loaded", rows=0),
    "organizations-reordered.csv": Outcome("loaded", rows=2, loaded=2),
    "contacts-extra-columns.csv": Outcome("loaded", rows=2, loaded=2),
    "memberships-bom-crlf.csv": Outcome("loaded", rows=2, loaded=2),
    "activities-bad-rows.csv": Outcome(
        "loaded",
        rows=5,
        loaded=1,
        duplicate=1,  # d1 twice in the file: the second is a known duplicate
        reasons=(
            "missing_required: event_id",
            "bad_timestamp: occurred_at",
            "bad_json: properties",
        ),
    ),
    "contacts-formula.csv": Outcome("loaded", rows=2, loaded=2),
    # One bad file never stops the inbox (issue 15, class 3): zeroed bytes inside an
    # uncompressed Parquet file, found only while its pages are decoded.
    "organizations-zeroed-page.parquet": Outcome(
        "rejected", message="cannot read as Parquet: Out of buffer"
    ),
    "contacts-zeroed-page-header.parquet": Outcome(
        "rejected", message="cannot read as Parquet: TProtocolException"
    ),
    "activities-zeroed-page.parquet": Outcome("rejected", message="cannot read as Parquet"),
    # The CSV reader's idea of a row is the standard's; timestamps as RFC 3339 has them
    # (issue 15, class 4).
    "organizations-quoted-newline-header.csv": Outcome("loaded", rows=2, loaded=2),
    "organizations-header-no-line-end.csv": Outcome("loaded", rows=0),
    "contacts-quoted-header-no-line-end.csv": Outcome("loaded", rows=0),
    "activities-bom.jsonl": Outcome("loaded", rows=2, loaded=2),
    "activities-lowercase-t-z.csv": Outcome("loaded", rows=3, loaded=3),
    "activities-offset-beyond-18.csv": Outcome(
        "loaded", rows=5, loaded=2, reasons=("bad_timestamp: occurred_at",) * 3
    ),
    "activities-years-after-offset.csv": Outcome(
        "loaded", rows=5, loaded=2, reasons=("bad_timestamp: occurred_at",) * 3
    ),
    # Field names ignore case: two names for one field, or a built-in in another case, are
    # refused whole rather than split into two fields.
    "organizations-plan-and-Plan.csv": Outcome(
        "rejected", message="columns 'Plan' and 'plan' differ only in case"
    ),
    "organizations-Name-builtin.csv": Outcome(
        "rejected", message="column 'Name' differs only in case from the built-in column 'name'"
    ),
    "memberships-ORG_ID.csv": Outcome(
        "rejected", message="column 'ORG_ID' differs only in case from the built-in column"
    ),
    "organizations-Snapshot_At.csv": Outcome(
        "rejected", message="column 'Snapshot_At' differs only in case"
    ),
    # No value loses a digit (class 5): Parquet integers past 15 digits stay exact, as text.
    "organizations-int64-19-digits.parquet": Outcome("loaded", rows=2, loaded=2),
    "contacts-decimal-uint64-digits.parquet": Outcome("loaded", rows=2, loaded=2),
}


def _wrong_types_parquet(path: Path) -> None:
    table = pa.table(
        {
            "occurred_at": [1, 2],
            "event_id": ["p1", "p2"],
            "contact_id": ["c1", "c1"],
            "activity_type": ["page_viewed", "page_viewed"],
        }
    )
    pq.write_table(table, path)


def _ten_mb_name_jsonl(path: Path) -> None:
    rows = [
        {"org_id": "o1", "name": "x" * TEN_MB, "snapshot_at": "2026-01-01T00:00Z"},
        {"org_id": "o2", "name": "Beta", "snapshot_at": "2026-01-01T00:00Z"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _ten_mb_field_csv(path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "contact_id", "activity_type", "occurred_at", "properties"])
        note = json.dumps({"note": "x" * TEN_MB})
        writer.writerow(["big1", "c1", "page_viewed", "2026-01-05T09:10Z", note])
        writer.writerow(["big2", "c1", "page_viewed", "2026-01-05T09:11Z", "{}"])


def _wide_csv(columns: int, rows: int) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        key = "org_id" if path.name.startswith("organizations") else "contact_id"
        header = ",".join([key, *(f"field_{i}" for i in range(columns - 1))])
        values = ",".join(str(i % 97) for i in range(columns - 1))
        lines = [f"k{r},{values}" for r in range(rows)]
        path.write_text("\n".join([header, *lines]) + "\n")

    return write


def _wide_jsonl(path: Path) -> None:
    row = {"contact_id": "c1", **{f"field_{i}": i for i in range(1000)}}
    path.write_text(json.dumps(row) + "\n")


# generated in tmp_path: file -> (writer, outcome)
GENERATED: dict[str, tuple[Callable[[Path], None], Outcome]] = {
    "activities-wrong-types.parquet": (
        _wrong_types_parquet,
        Outcome("loaded", rows=2, reasons=("bad_timestamp: occurred_at",) * 2),
    ),
    "organizations-10mb-name.jsonl": (_ten_mb_name_jsonl, Outcome("loaded", rows=2, loaded=2)),
    # Ingest cost is linear in the columns, and a file's width is capped (issue 15, class 7).
    "organizations-10000-columns.csv": (
        _wide_csv(10_001, 1000),
        Outcome("rejected", message="too many columns: 10001 (a file may have at most 1000)"),
    ),
    "contacts-1001-columns.jsonl": (
        _wide_jsonl,
        Outcome("rejected", message="too many columns: 1001 (a file may have at most 1000)"),
    ),
    "contacts-300-columns.csv": (_wide_csv(300, 20), Outcome("loaded", rows=20, loaded=20)),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_hostile_file_gets_its_outcome_and_nothing_is_lost(con, name):
    assert_outcome(con, HOSTILE / name, CORPUS[name])


@pytest.mark.parametrize("name", list(GENERATED))
def test_a_generated_hostile_file_gets_its_outcome(con, tmp_path, name):
    write, outcome = GENERATED[name]
    write(tmp_path / name)
    assert_outcome(con, tmp_path / name, outcome)


def test_a_csv_with_a_10_mb_field_loads_its_other_rows(con, tmp_path):
    path = tmp_path / "activities-10mb-field.csv"
    _ten_mb_field_csv(path)
    [result] = ingest_paths(con, [path]).files
    assert result.status == "loaded", result.message
    assert result.rows_total == 2
    assert result.rows_loaded + result.rows_rejected == 2  # the big row loads, or is rejected
    assert con.execute("select event_id from activities where event_id = 'big2'").fetchall()


# A snapshot that repeats earlier content is still a snapshot (issue 15, class 6): folder in
# tests/hostile/snapshots/ -> (the query, its rows as of each day after loading day1..day3
# with --as-of that day, the day-3 bytes being day 1's). Loading day 3 again is a no-op.
SNAPSHOT_DAYS = [datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2026, 1, 3)]
SNAPSHOT_SEQUENCES: dict[str, tuple[str, list[list[tuple]]]] = {
    "restored-organization": (
        "select org_id from organization_versions where valid_from <= $at"
        " and (valid_to is null or valid_to > $at) order by 1",
        [[("o1",), ("o2",)], [("o1",)], [("o1",), ("o2",)]],
    ),
    "resubscribed": (
        "select contact_id, status from subscription_versions where valid_from <= $at"
        " and (valid_to is null or valid_to > $at) order by 1",
        [[("c1", "subscribed")], [("c1", "unsubscribed")], [("c1", "subscribed")]],
    ),
}


@pytest.mark.parametrize("name", list(SNAPSHOT_SEQUENCES))
def test_a_snapshot_repeating_earlier_content_is_applied(con, name):
    query, expected = SNAPSHOT_SEQUENCES[name]
    folder = HOSTILE / "snapshots" / name
    days = sorted(folder.iterdir())
    first, third = next(days[0].iterdir()), next(days[2].iterdir())
    assert first.read_bytes() == third.read_bytes()
    for day, at in zip(days, SNAPSHOT_DAYS, strict=True):
        [result] = ingest_paths(con, [day], as_of=at).files
        assert result.status == "loaded", result.message
    for at, rows in zip(SNAPSHOT_DAYS, expected, strict=True):
        assert con.execute(query, {"at": at}).fetchall() == rows, at
    [again] = ingest_paths(con, [days[2]], as_of=SNAPSHOT_DAYS[2]).files
    assert again.status == "already_loaded"


def assert_outcome(con, path: Path, expected: Outcome) -> None:
    """Ingest `path` alone into a fresh warehouse; check its result and every table."""
    [result] = ingest_paths(con, [path]).files
    file = str(path)
    kind = file_kind(path)
    assert result.status == expected.status, result.message
    if expected.status == "rejected":
        assert result.message.startswith(f"{path}: "), result.message
        assert expected.message in result.message
        for table in ("ingested_files", "rejected_rows", "activities", "snapshot_files"):
            assert con.execute(
                f"select count(*) from {table} where file = ?", [file]
            ).fetchone() == (0,), table
        assert current_rows(con, kind) == 0
        return
    rejected = [
        reason
        for (reason,) in con.execute(
            "select reason from rejected_rows where file = ? order by row_number", [file]
        ).fetchall()
    ]
    assert (result.rows_total, result.rows_loaded, result.rows_duplicate) == (
        expected.rows,
        expected.loaded,
        expected.duplicate,
    )
    assert tuple(rejected) == expected.reasons
    # Nothing lost: every row is loaded, a known duplicate, or rejected with its raw text.
    assert result.rows_loaded + result.rows_duplicate + result.rows_rejected == result.rows_total
    assert result.rows_rejected == len(rejected)
    assert con.execute(
        "select count(*) from rejected_rows where file = ? and raw is null", [file]
    ).fetchone() == (0,)
    assert current_rows(con, kind) == expected.loaded
    ledger = con.execute(
        "select rows_total, rows_loaded, rows_duplicate, rows_rejected from ingested_files"
        " where file = ?",
        [file],
    ).fetchall()
    assert ledger == [(expected.rows, expected.loaded, expected.duplicate, len(rejected))]


def current_rows(con, kind: str) -> int:
    return con.execute(f"select count(*) from {kind}").fetchone()[0]


# -- what a loaded hostile file means ------------------------------------------------------------


def test_columns_in_another_order_land_in_their_columns(con):
    ingest_paths(con, [HOSTILE / "organizations-reordered.csv"])
    assert con.execute(
        "select org_id, name, timezone from organizations order by 1"
    ).fetchall() == [
        ("o1", "Acme", "Europe/Paris"),
        ("o2", "Beta", "UTC"),
    ]


def test_extra_columns_become_typed_custom_fields(con):
    ingest_paths(con, [HOSTILE / "contacts-extra-columns.csv"])
    assert con.execute(
        "select name, type from custom_fields where kind = 'contacts' order by 1"
    ).fetchall() == [("favourite_colour", "text"), ("shoe_size", "number")]
    assert con.execute(
        "select contact_id, shoe_size, favourite_colour from contacts order by 1"
    ).fetchall() == [("c1", 38.0, "teal"), ("c2", 44.0, None)]


def test_a_header_only_snapshot_deletes_nothing(con, tmp_path):
    before = tmp_path / "memberships-before.csv"
    before.write_text("contact_id,org_id,snapshot_at\nc1,o1,2025-12-01T00:00Z\n")
    ingest_paths(con, [before, HOSTILE / "memberships-header-only.csv"])
    assert con.execute("select contact_id, org_id from memberships").fetchall() == [("c1", "o1")]


def test_a_bom_and_crlf_line_ends_are_read_as_plain_csv(con):
    ingest_paths(con, [HOSTILE / "memberships-bom-crlf.csv"])
    assert con.execute("select contact_id, org_id from memberships order by 1").fetchall() == [
        ("c1", "o1"),
        ("c2", "o1"),
    ]


def test_the_cli_names_each_file_rejected_whole_and_exits_1(orgjourney, cli_paths):
    for name in CORPUS:
        shutil.copyfile(HOSTILE / name, cli_paths["inbox"] / name)
    result = orgjourney("ingest", expect_exit=1)
    output = result.output.replace("\n", "")
    for name, outcome in CORPUS.items():
        if outcome.status == "rejected":
            assert f"{name}: " in output, name


def test_a_quoted_newline_in_a_header_field_is_part_of_its_name(con):
    ingest_paths(con, [HOSTILE / "organizations-quoted-newline-header.csv"])
    assert con.execute(
        'select org_id, name, "note\nline two" from organizations order by 1'
    ).fetchall() == [("o1", "Acme", "first"), ("o2", "Beta", "second")]


def test_lowercase_t_and_z_and_offsets_up_to_18_hours_parse(con):
    ingest_paths(con, [HOSTILE / "activities-lowercase-t-z.csv"])
    ingest_paths(con, [HOSTILE / "activities-offset-beyond-18.csv"])
    assert con.execute("select event_id, occurred_at from activities order by 1").fetchall() == [
        ("f3", datetime(2026, 1, 4, 15, 10)),
        ("f5", datetime(2026, 1, 6, 3, 10)),
        ("l1", datetime(2026, 1, 5, 9, 10)),
        ("l2", datetime(2026, 1, 5, 8, 10)),
        ("l3", datetime(2026, 1, 5, 9, 10)),
    ]


def test_instants_outside_years_1_to_9999_after_the_offset_are_bad(con):
    ingest_paths(con, [HOSTILE / "activities-years-after-offset.csv"])
    assert con.execute("select event_id, occurred_at from activities order by 1").fetchall() == [
        ("y3", datetime(1, 1, 1, 0, 30)),
        ("y4", datetime(9999, 12, 31, 18, 0)),
    ]


def test_parquet_numbers_keep_every_digit(con):
    ingest_paths(con, [HOSTILE / "organizations-int64-19-digits.parquet"])
    ingest_paths(con, [HOSTILE / "contacts-decimal-uint64-digits.parquet"])
    assert con.execute("select kind, name, type from custom_fields order by 1, 2").fetchall() == [
        ("contacts", "account", "text"),
        ("contacts", "ratio", "text"),
        ("organizations", "crm_id", "text"),
        ("organizations", "seats", "number"),
    ]
    assert con.execute("select org_id, crm_id, seats from organizations order by 1").fetchall() == [
        ("o1", "1234567890123456789", 12.0),
        ("o2", "5", 5.0),
    ]
    assert con.execute("select ratio, account from contacts order by contact_id").fetchall() == [
        ("0.1234567890123456789", "18446744073709551615"),
        ("2.5000000000000000000", "1"),  # a decimal's text keeps the file's scale
    ]


def test_custom_columns_are_typed_in_one_pass(con, tmp_path, monkeypatch):
    """The statements a file takes do not grow with its columns (but for one ALTER each)."""
    from orgjourney_pipeline.ingest import sql as ingest_sql

    executed: list[str] = []
    run = ingest_sql.execute

    def counting(connection, tree):
        executed.append(type(tree).__name__)
        return run(connection, tree)

    monkeypatch.setattr(ingest_sql, "execute", counting)
    counts = []
    for columns in (5, 200):
        path = tmp_path / f"organizations-{columns}.csv"
        _wide_csv(columns, 50)(path)
        executed.clear()
        [result] = ingest_paths(con, [path]).files
        assert result.status == "loaded", result.message
        counts.append(len(executed) - executed.count("Alter"))
    assert counts[0] == counts[1]


def test_a_custom_field_keeps_its_first_name_whatever_the_case_of_later_files(con, tmp_path):
    first = tmp_path / "organizations-1.csv"
    first.write_text("org_id,Plan,snapshot_at\no1,pro,2026-01-01\n")
    later = tmp_path / "organizations-2.csv"
    later.write_text("org_id,plan,snapshot_at\no1,free,2026-01-02\n")
    ingest_paths(con, [first, later])
    assert con.execute("select name from custom_fields").fetchall() == [("Plan",)]
    assert con.execute("select org_id, plan from organizations").fetchall() == [("o1", "free")]


def test_a_file_failing_while_read_is_rejected_and_the_inbox_goes_on(orgjourney, cli_paths):
    inbox = cli_paths["inbox"]
    shutil.copyfile(
        HOSTILE / "organizations-zeroed-page.parquet", inbox / "organizations-a.parquet"
    )
    (inbox / "organizations-b.csv").write_text("org_id,name,snapshot_at\no9,After,2026-01-01\n")
    (inbox / "activities-c.csv").write_text(
        "event_id,contact_id,activity_type,occurred_at\ne1,c1,purchase,2026-01-05T09:10Z\n"
    )
    output = flat(orgjourney("ingest", expect_exit=1).output)
    assert "organizations-a.parquet: cannot read as Parquet: Out of buffer" in output
    with duckdb.connect(str(cli_paths["warehouse"]), read_only=True) as connection:
        assert connection.execute("select org_id from organizations").fetchall() == [("o9",)]
        assert connection.execute("select event_id from activities").fetchall() == [("e1",)]
        assert connection.execute("select count(*) from ingested_files").fetchone() == (2,)


# -- the inbox is the inbox (issue 15, class 8) -------------------------------------------------

ORGS_CSV = "org_id,name,snapshot_at\no1,Acme,2026-01-01\n"


def _hidden_file(inbox: Path, outside: Path) -> None:
    (inbox / ".organizations-draft.csv").write_text(ORGS_CSV)


def _hidden_folder(inbox: Path, outside: Path) -> None:
    (inbox / ".cache").mkdir()
    (inbox / ".cache" / "organizations.csv").write_text(ORGS_CSV)


def _dangling_link(inbox: Path, outside: Path) -> None:
    (inbox / "organizations-gone.csv").symlink_to(outside / "no-such-file.csv")


def _link_out(inbox: Path, outside: Path) -> None:
    (outside / "secret.csv").write_text("org_id,name\nroot,x:0:0\n")
    (inbox / "organizations-passwd.csv").symlink_to(outside / "secret.csv")


def _folder_link_out(inbox: Path, outside: Path) -> None:
    (outside / "elsewhere").mkdir()
    (outside / "elsewhere" / "organizations.csv").write_text(ORGS_CSV)
    (inbox / "more").symlink_to(outside / "elsewhere", target_is_directory=True)


def _fifo(inbox: Path, outside: Path) -> None:
    os.mkfifo(inbox / "activities-pipe.csv")


def _link_inside(inbox: Path, outside: Path) -> None:
    (inbox / "organizations.csv").write_text(ORGS_CSV)
    (inbox / "organizations-again.csv").symlink_to(inbox / "organizations.csv")


# inbox entry -> (how to make it, its name, status, what the report says of it)
INBOX_ENTRIES: dict[str, tuple[Callable[[Path, Path], None], str, str, str]] = {
    "hidden file": (_hidden_file, ".organizations-draft.csv", "skipped", "hidden entry"),
    "hidden folder": (_hidden_folder, ".cache", "skipped", "hidden folder"),
    "dangling link": (_dangling_link, "organizations-gone.csv", "rejected", "a dangling link"),
    "link out of the inbox": (
        _link_out,
        "organizations-passwd.csv",
        "rejected",
        "a link out of the inbox",
    ),
    "folder link out of the inbox": (_folder_link_out, "more", "rejected", "out of the inbox"),
    "fifo": (_fifo, "activities-pipe.csv", "rejected", "not a regular file"),
    "link inside the inbox": (
        _link_inside,
        "organizations-again.csv",
        "skipped",
        "the same file as",
    ),
}


@pytest.mark.parametrize("case", list(INBOX_ENTRIES))
def test_every_inbox_entry_not_loaded_is_reported_with_why(con, tmp_path, case):
    make, name, status, why = INBOX_ENTRIES[case]
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    make(inbox, outside)
    report = ingest_paths(con, [inbox])
    [left] = [result for result in report.files if Path(result.file).name == name]
    assert left.status == status and why in left.message, left
    assert left.message.startswith(f"{inbox / name}: ")
    assert report.ok == (status != "rejected")
    loaded = [Path(result.file).name for result in report.files if result.status == "loaded"]
    assert loaded == (["organizations.csv"] if case == "link inside the inbox" else [])
    assert con.execute("select count(*) from ingested_files").fetchone() == (len(loaded),)


def test_a_folder_that_cannot_be_read_is_named_and_the_rest_loads(con, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    (inbox / "locked").mkdir(parents=True)
    (inbox / "organizations.csv").write_text(ORGS_CSV)
    iterdir = Path.iterdir

    def refusing(folder: Path):
        if folder.name == "locked":
            raise PermissionError(13, "Permission denied")
        return iterdir(folder)

    monkeypatch.setattr(Path, "iterdir", refusing)  # root reads any folder: refuse it here
    report = ingest_paths(con, [inbox])
    assert [(Path(r.file).name, r.status) for r in report.files] == [
        ("locked", "rejected"),
        ("organizations.csv", "loaded"),
    ]
    assert "locked: cannot read the folder: Permission denied" in report.files[0].message


def test_links_out_of_the_inbox_are_read_only_with_follow_links(orgjourney, cli_paths):
    outside = cli_paths["inbox"].parent / "outside"
    outside.mkdir()
    _link_out(cli_paths["inbox"], outside)
    output = flat(orgjourney("ingest", expect_exit=1).output)
    assert "organizations-passwd.csv: a link out of the inbox" in output
    orgjourney("ingest", "--follow-links")
    with duckdb.connect(str(cli_paths["warehouse"]), read_only=True) as connection:
        assert connection.execute("select org_id from organizations").fetchall() == [("root",)]


def test_hidden_entries_are_named_and_ingest_exits_0(orgjourney, cli_paths):
    _hidden_file(cli_paths["inbox"], cli_paths["inbox"])
    output = flat(orgjourney("ingest").output)
    assert "skipped: " in output and ".organizations-draft.csv: hidden entry" in output


# -- formula-looking values --------------------------------------------------------------------

FORMULA_JOURNEY = """\
id: formula
name: Formula
version: 1
state: published
frequency: every_time
entry: {when: activity, activity: purchase}
steps:
  - id: mail
    send_email: {template: hello}
  - id: text
    send_sms: {template: hello-sms}
  - id: mark
    update_org: {field: note, value: "=2+3"}
"""


def test_formula_looking_values_come_out_of_csv_exports_neutralised(scenario, cli_paths, tmp_path):
    shutil.copyfile(HOSTILE / "contacts-formula.csv", cli_paths["inbox"] / "contacts-formula.csv")
    scenario.orgs({"org_id": "o1", "name": "Acme"})
    scenario.members(("c1", "o1"), ("c2", "o1"))
    scenario.journey(FORMULA_JOURNEY)
    scenario.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")

    exports = cli_paths["exports"]
    email = read_csv(next(exports.glob("sends/*/journey=formula/step=mail/*/sends.csv")))
    assert sorted(row["address"] for row in email) == [
        "'-2+3+cmd|' /C calc'!A0",
        '\'=HYPERLINK("http://evil.test","click")',
    ]
    sms = read_csv(next(exports.glob("sends/*/journey=formula/step=text/*/sends.csv")))
    assert sorted(row["address"] for row in sms) == ["+1 555 0100", "-5550101"]  # dialable
    updates = read_csv(next(exports.glob("org_updates/*/org_updates.csv")))
    assert [row["value"] for row in updates] == ["'=2+3"]
    # Parquet is data, not a spreadsheet: the values stay as they are.
    parquet = pq.read_table(next(exports.glob("sends/*/journey=formula/step=mail/*/sends.parquet")))
    assert '=HYPERLINK("http://evil.test","click")' in parquet.column("address").to_pylist()

    out = tmp_path / "all-sends.csv"
    scenario.invoke("export", "sends", "--out", str(out))
    assert '\'=HYPERLINK("http://evil.test","click")' in [row["address"] for row in read_csv(out)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


# -- journey files -----------------------------------------------------------------------------

JOURNEYS = HOSTILE / "journeys"
GOOD_JOURNEY = """\
id: good
name: Good
version: 1
state: published
frequency: every_time
entry: {when: activity, activity: purchase}
steps:
  - id: mail
    send_email: {template: hello}
"""

# journey file -> (line, message) problems `validate` must print for it
JOURNEY_CORPUS: dict[str, list[tuple[int, str]]] = {
    "wrong-types.yaml": [
        (2, "journey.name: expected text, got a list"),
        (3, "version: expected a whole number"),
        (5, "frequency: 'sometimes' is not one of"),
        (9, "step 'wait'.delay.hours: expected a number, got 'ten'"),
    ],
    "unknown-keys.yaml": [
        (5, "journey: unknown key 'entri' (did you mean 'entry'?)"),
        (6, "entry (activity): unknown key 'colour'"),
        (9, "step 'mail': unknown key 'send_emial' (did you mean 'send_email'?)"),
    ],
    "billion-laughs-unknown-key.yaml": [(5, "journey: unknown key 'laughs'")],
    "not-a-mapping.yaml": [(1, "a journey file holds a mapping, got a list")],
    "not-yaml.yaml": [(2, "not valid YAML: the '[' opened here is never closed")],
    "duplicate-keys.yaml": [(5, 'not valid YAML: found duplicate key "version"')],
    "empty.yaml": [(1, "a journey file holds a mapping, got nothing")],
    "latin1.yaml": [(1, "cannot read the file")],
}
# Alias bombs where the reader expands values (entry.where, update_org.value, an `in` list).
ALIAS_BOMBS = (
    "billion-laughs-where.yaml",
    "billion-laughs-update-value.yaml",
    "billion-laughs-filter-in.yaml",
)
HUGE_NUMBERS = {"huge-version.yaml": 3, "huge-days.yaml": 8}


def flat(output: str) -> str:
    return output.replace("\n", "")


@pytest.mark.parametrize("name", list(JOURNEY_CORPUS))
def test_a_hostile_journey_file_is_invalid_with_file_line_messages(orgjourney, cli_paths, name):
    shutil.copyfile(JOURNEYS / name, cli_paths["journeys"] / name)
    (cli_paths["journeys"] / "good.yaml").write_text(GOOD_JOURNEY)
    output = flat(orgjourney("validate", expect_exit=1).output)
    for line, message in JOURNEY_CORPUS[name]:
        assert f"{name}:{line}: {message}" in output
    assert "good.yaml" not in output


def test_hostile_journey_files_stop_only_their_journeys_loudly(scenario, cli_paths):
    for name in JOURNEY_CORPUS:
        shutil.copyfile(JOURNEYS / name, cli_paths["journeys"] / name)
    scenario.journey(GOOD_JOURNEY)
    scenario.orgs({"org_id": "o1"})
    scenario.contacts({"contact_id": "c1", "email": "ann@acme.test"})
    scenario.members(("c1", "o1"))
    scenario.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    output = flat(scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z", expect_exit=1).output)
    for name in JOURNEY_CORPUS:
        assert name in output and "journey stopped" in output
    assert scenario.rows("select journey_id, contact_id from sends") == [("good", "c1")]


def test_alias_bombs_are_rejected_without_being_expanded(tmp_path):
    """Each bomb is a file:line problem (its aliases are counted on the parser's events).
    The memory limit keeps a bomb that went off from taking the machine, and the timeout
    stops one that hangs: guards, not a measure of speed."""
    folder = tmp_path / "journeys"
    folder.mkdir()
    for name in ALIAS_BOMBS:
        shutil.copyfile(JOURNEYS / name, folder / name)
    done = subprocess.run(
        [
            ORGJOURNEY,
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--journeys",
            str(folder),
            "validate",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "300"},
        preexec_fn=_limit_memory,  # a bomb that goes off must not take the machine with it
    )
    assert done.returncode == 1
    for name in ALIAS_BOMBS:
        assert f"{name}:" in done.stdout + done.stderr


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def test_huge_numbers_are_invalid_and_stop_only_their_journeys(scenario, orgjourney, cli_paths):
    for name in HUGE_NUMBERS:
        shutil.copyfile(JOURNEYS / name, cli_paths["journeys"] / name)
    scenario.journey(GOOD_JOURNEY)
    output = flat(orgjourney("validate", expect_exit=None).output)
    for name, line in HUGE_NUMBERS.items():
        assert f"{name}:{line}: " in output
    scenario.orgs({"org_id": "o1"})
    scenario.contacts({"contact_id": "c1", "email": "ann@acme.test"})
    scenario.members(("c1", "o1"))
    scenario.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    scenario.run("2026-01-05T11:00Z", "2026-01-05T09:00Z", expect_exit=1)
    assert scenario.rows("select journey_id from sends") == [("good",)]


HOSTILE_INPUTS_TRIED = (
    len(CORPUS) + len(GENERATED) + 1 + len(JOURNEY_CORPUS) + len(ALIAS_BOMBS) + len(HUGE_NUMBERS)
)
