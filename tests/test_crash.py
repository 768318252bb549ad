"""Crash safety: a process killed (SIGKILL) anywhere inside a window, its exports or ingest.

The CLI runs as a real subprocess. `ORGJOURNEY_FAULT=kill:<point>` makes it kill itself right
after a window's SQL step (engine) or an export file's write (exports); ingest is killed from
outside while it loads a big file. Right after the crash, the warehouse holds only whole
windows and whole files, and every export file that looks whole is whole; after a plain rerun
the warehouse tables and the export files equal those of an uninterrupted run, with no send
duplicated or missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orgjourney_pipeline import checks, warehouse

# Processes killed and rerun: `make slow` and, in rounds, `make reliability` (both in CI).
pytestmark = pytest.mark.slow

ORGJOURNEY = str(Path(sys.executable).parent / "orgjourney")
FIRST, LAST = "2026-01-05T09:00Z", "2026-01-05T13:00Z"
WINDOWS = 4

# Columns stamped with the wall clock: equal runs differ only there.
WALL_CLOCK = {"started_at", "finished_at", "exported_at", "loaded_at", "rejected_at", "applied_at"}

JOURNEYS = {
    "renewal.yaml": """\
id: renewal
name: Renewal
version: 1
state: published
frequency: every_time
entry: {when: activity, activity: purchase}
unsubscribe: {audience: newsletter}
attribution: {activity: renewal_paid, within_days: 30}
steps:
  - id: notice
    send_email: {template: renewal-notice}
  - id: text
    send_sms: {template: renewal-sms}
  - id: mark
    update_org: {field: stage, value: notified}
  - id: pause
    delay: {hours: 2}
  - id: reminder
    send_email: {template: renewal-reminder}
""",
    "welcome.yaml": """\
id: welcome
name: Welcome
version: 1
state: published
frequency: once_at_a_time
entry: {when: activity, activity: form_submitted}
steps:
  - id: hello
    send_email: {template: hello}
  - id: tag
    tag_org: {add: [welcomed]}
  - id: wait
    delay: {hours: 1}
  - id: follow
    send_email: {template: follow-up}
""",
}


def write_inbox(inbox: Path, organizations: int = 8, events_per_hour: int = 6) -> None:
    """A small CRM and five hours of activity that exercise sends, suppressions and updates."""
    inbox.mkdir(parents=True, exist_ok=True)
    snapshot = "2026-01-01T00:00Z"
    orgs = [f"o{i}" for i in range(1, organizations + 1)]
    contacts = [(f"c{i}", orgs[i % organizations]) for i in range(1, 3 * organizations + 1)]
    (inbox / "organizations.csv").write_text(
        "org_id,name,plan,snapshot_at\n"
        + "".join(
            f"{org},Org {org},{'pro' if n % 2 else 'free'},{snapshot}\n"
            for n, org in enumerate(orgs)
        )
    )
    (inbox / "contacts.csv").write_text(
        "contact_id,email,phone,sms_opt_in,snapshot_at\n"
        + "".join(
            f"{contact},{contact}@example.test,+1555{n:04d},{'true' if n % 3 else 'false'},{snapshot}\n"
            for n, (contact, _) in enumerate(contacts)
        )
    )
    (inbox / "memberships.csv").write_text(
        "contact_id,org_id,snapshot_at\n"
        + "".join(f"{contact},{org},{snapshot}\n" for contact, org in contacts)
    )
    (inbox / "subscriptions.csv").write_text(
        "contact_id,audience,status,snapshot_at\n"
        f"c2,*,unsubscribed,{snapshot}\n"
        f"c3,newsletter,unsubscribed,{snapshot}\n"
        f"c4,newsletter,subscribed,{snapshot}\n"
    )
    rows = ["event_id,contact_id,activity_type,occurred_at,properties"]
    kinds = ("purchase", "form_submitted", "page_viewed", "renewal_paid")
    for hour in range(9, 9 + WINDOWS):
        for n in range(events_per_hour):
            contact = contacts[(hour * 7 + n * 5) % len(contacts)][0]
            kind = kinds[(hour + n) % len(kinds)]
            rows.append(
                f"e{hour}-{n},{contact},{kind},2026-01-05T{hour:02d}:{n * 9 % 60:02d}Z,{{}}"
            )
    # Two renewals paid an hour and a half after a purchase: conversions.
    purchases = [row.split(",") for row in rows[1:] if ",purchase," in row][:2]
    for n, (_, contact, _, occurred_at, _) in enumerate(purchases):
        hour = int(occurred_at[11:13]) + 1
        rows.append(f"r{n},{contact},renewal_paid,2026-01-05T{hour:02d}:{30 + n}Z,{{}}")
    rows.append('u1,c4,unsubscribed,2026-01-05T10:30Z,"{""journey_id"": ""renewal""}"')
    rows.append("u2,c5,unsubscribed,2026-01-05T11:15Z,{}")
    (inbox / "activities-2026-01-05.csv").write_text("\n".join(rows) + "\n")


def write_journeys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in JOURNEYS.items():
        (folder / name).write_text(text)


def orgjourney(
    paths: dict[str, Path], *args: str, fault: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run the CLI in its own process against `paths`."""
    return subprocess.run(
        [ORGJOURNEY, *args],
        env=cli_env(paths, fault),
        cwd=paths["warehouse"].parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_env(paths: dict[str, Path], fault: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORGJOURNEY_")}
    env.update({f"ORGJOURNEY_{key.upper()}": str(path) for key, path in paths.items()})
    env["ORGJOURNEY_LOCK_WAIT"] = "60"
    env["COLUMNS"] = "200"
    if fault:
        env["ORGJOURNEY_FAULT"] = fault
    return env


def case_paths(root: Path, shared: dict[str, Path]) -> dict[str, Path]:
    """A warehouse and exports of its own; the inbox and journeys shared (paths are recorded)."""
    root.mkdir(parents=True, exist_ok=True)
    return {
        "warehouse": root / "warehouse.duckdb",
        "exports": root / "exports",
        "inbox": shared["inbox"],
        "journeys": shared["journeys"],
    }


def warehouse_state(path: Path) -> dict[str, Table]:
    """Every data table's columns and rows (sorted), without wall-clock columns."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_type = 'BASE TABLE' and table_schema = 'main'"
                " and table_name <> 'schema_migrations' order by 1"
            ).fetchall()
        ]
        state = {}
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_name = ?"
                    " and table_schema = 'main' order by ordinal_position",
                    [table],
                ).fetchall()
                if name not in WALL_CLOCK
            ]
            quoted = ", ".join(f'"{name}"' for name in columns)
            rows = con.execute(f"select {quoted} from {table}").fetchall()
            state[table] = Table(tuple(columns), sorted(rows, key=repr))
    return state


@dataclass
class Table:
    """A table's columns and its rows, sorted."""

    columns: tuple[str, ...]
    rows: list[tuple]

    def where(self, column: str, values) -> list[tuple]:
        index = self.columns.index(column)
        return [row for row in self.rows if row[index] in values]

    def total(self, *columns: str) -> int:
        indexes = [self.columns.index(column) for column in columns]
        return sum(row[index] for row in self.rows for index in indexes)


def export_files(folder: Path) -> dict[str, object]:
    """Relative path -> content (CSV text, Parquet rows) of every file under the exports."""
    files: dict[str, object] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".parquet":
            files[name] = pq.read_table(path).to_pylist()
        elif path.suffix == ".csv":
            files[name] = path.read_text()
        else:
            files[name] = path.stat().st_size
    return files


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The shared inbox and journeys, a warehouse with them ingested, and an uninterrupted run."""
    root = tmp_path_factory.mktemp("crash")
    shared = {"inbox": root / "inbox", "journeys": root / "journeys"}
    write_inbox(shared["inbox"])
    write_journeys(shared["journeys"])
    ingested = case_paths(root / "ingested", shared)
    done = orgjourney(ingested, "ingest")
    assert done.returncode == 0, done.stdout + done.stderr
    full = case_paths(root / "full", shared)
    shutil.copyfile(ingested["warehouse"], full["warehouse"])
    started = time.perf_counter()
    done = orgjourney(full, "run", "--from", FIRST, "--through", LAST)
    assert done.returncode == 0, done.stdout + done.stderr
    state = warehouse_state(full["warehouse"])
    assert len(state["runs"].rows) == WINDOWS
    assert len(state["sends"].rows) >= 20
    assert state["suppressions"].rows and state["org_updates"].rows and state["conversions"].rows
    return {
        "root": root,
        "shared": shared,
        "ingested": ingested["warehouse"],
        "ingested_state": warehouse_state(ingested["warehouse"]),
        "state": state,
        "exports": export_files(full["exports"]),
        "run_seconds": time.perf_counter() - started,
    }


# One warehouse, killed again and again: (fault, --through) of each invocation in turn.
# Faults fire at their first occurrence in the process, so a kill inside a window stops the
# first window the invocation runs; `export_*` kills come after a window committed.
CRASH_SEQUENCE = [
    ("kill:10_window_activities", LAST),  # the first window's activity just loaded
    ("kill:export_partial", LAST),  # window 1 committed; an export file under its temp name
    ("kill:export_file", LAST),  # rewriting window 1's exports: some files in place
    (None, "2026-01-05T11:00Z"),  # windows 1-2 exported and committed
    ("kill:35_apply_unsubscribes", LAST),
    ("kill:57_new_enrollments", LAST),
    ("kill:72_record_steps", LAST),  # inside the step walk
    ("kill:82_record_sends", LAST),  # the send batch written, not committed
    ("kill:94_journey_runs", LAST),  # the last step: right before the runs row and the commit
]
CRASH_POINTS = sum(1 for fault, _ in CRASH_SEQUENCE if fault)


def test_a_run_killed_again_and_again_ends_equal_to_an_uninterrupted_run(reference, tmp_path):
    paths = case_paths(tmp_path, reference["shared"])
    shutil.copyfile(reference["ingested"], paths["warehouse"])
    ends = sorted(row[1] for row in reference["state"]["runs"].rows)
    committed: list = []
    for fault, through in CRASH_SEQUENCE:
        done = orgjourney(paths, "run", "--from", FIRST, "--through", through, fault=fault)
        expected_code = -signal.SIGKILL if fault else 0
        assert done.returncode == expected_code, (fault, done.stdout + done.stderr)

        # Only whole windows: a prefix of the uninterrupted run's, with exactly their rows.
        state = warehouse_state(paths["warehouse"])
        now_committed = sorted(row[1] for row in state["runs"].rows)
        assert now_committed == ends[: len(now_committed)], fault
        assert len(now_committed) >= len(committed)
        committed = now_committed
        for table, column in WRITTEN_BY.items():
            expected = reference["state"][table].where(column, committed)
            assert state[table].rows == expected, (fault, table)
        assert_whole_exports(paths["exports"], reference["exports"])
        if fault == "kill:export_partial":
            assert list(paths["exports"].rglob(".*.partial")), "the kill came after a temp file"
    assert len(committed) == 2

    rerun = orgjourney(paths, "run", "--from", FIRST, "--through", LAST)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert warehouse_state(paths["warehouse"]) == reference["state"]
    assert export_files(paths["exports"]) == reference["exports"]  # and no temp file left
    assert_outputs_pass(paths["warehouse"])


# Which column says the window that wrote a row, for the tables a window appends to.
WRITTEN_BY = {
    "sends": "run_at",
    "suppressions": "run_at",
    "org_updates": "run_at",
    "unsubscribes": "run_at",
    "conversions": "run_at",
    "enrollment_steps": "reached_at",
    "journey_runs": "window_end",
}


def assert_whole_exports(folder: Path, reference: dict[str, object]) -> None:
    """No half-written file under a final name: each equals the uninterrupted run's."""
    if not folder.is_dir():
        return
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        name = path.relative_to(folder).as_posix()
        if path.name.endswith(".partial"):
            assert path.name.startswith("."), name  # hidden, and never a provider's pattern
            continue
        content = pq.read_table(path).to_pylist() if path.suffix == ".parquet" else path.read_text()
        assert content == reference[name], name


def assert_outputs_pass(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        failed = [r.name for r in checks.run_checks(con, (checks.OUTPUTS,)) if not r.passed]
    assert failed == []


# -- ingest ---------------------------------------------------------------------------------


# When to kill ingest: as a fraction of the time an uninterrupted ingest spends after the
# warehouse file appears. 0 kills it while it creates the schema; then the moment adapts
# (later if the schema was not there yet, earlier if every file had committed) until a kill
# lands between the schema and the last file's commit, within a few attempts.
FIRST_KILLS = (0.0, 0.35)
MORE_KILLS = 2
BIG_SNAPSHOT_ROWS = 150_000


def test_a_killed_ingest_loads_each_file_whole_or_not_at_all(reference, tmp_path):
    """Kill ingest while it creates the schema and inside a big file; rerun; equal a clean load."""
    big_inbox = tmp_path / "big_inbox"
    shutil.copytree(reference["shared"]["inbox"], big_inbox)
    # Sorts first: organizations come first, and `-big` before `.csv`.
    write_big_snapshot(big_inbox / "organizations-big.csv", BIG_SNAPSHOT_ROWS)
    clean = case_paths(tmp_path / "clean", {"inbox": big_inbox, "journeys": tmp_path})
    code, ready, total = timed_ingest(clean)
    assert code == 0
    expected = warehouse_state(clean["warehouse"])
    expected_rows = expected["ingested_files"].total("rows_total")
    all_files = len(expected["ingested_files"].rows)
    fractions, outcomes = list(FIRST_KILLS), []
    while fractions:
        fraction = fractions.pop(0)
        paths = case_paths(
            tmp_path / f"kill{len(outcomes)}", {"inbox": big_inbox, "journeys": tmp_path}
        )
        timed_ingest(paths, kill_after=fraction * (total - ready))
        files = ledger(paths["warehouse"])
        outcome = "no schema" if files is None else "all" if len(files) == all_files else "inside"
        outcomes.append(outcome)
        rerun = orgjourney(paths, "ingest")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        state = warehouse_state(paths["warehouse"])
        assert state == expected
        accounted = state["ingested_files"].total("rows_loaded", "rows_duplicate", "rows_rejected")
        assert accounted == expected_rows  # nothing lost
        if (
            not fractions
            and "inside" not in outcomes
            and len(outcomes) < len(FIRST_KILLS) + MORE_KILLS
        ):
            fractions.append(fraction * 0.5 if outcome == "all" else fraction + 0.3)
    assert "inside" in outcomes, outcomes


def timed_ingest(
    paths: dict[str, Path], kill_after: float | None = None
) -> tuple[int, float, float]:
    """Run `ingest`; (exit code, seconds until the warehouse file appeared, seconds in all).

    With `kill_after`, SIGKILL it that many seconds after the warehouse file appeared.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [ORGJOURNEY, "ingest"],
        env=cli_env(paths),
        cwd=paths["warehouse"].parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not paths["warehouse"].exists() and process.poll() is None:
        time.sleep(0.005)
    ready = time.perf_counter() - started
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    code = process.wait(timeout=120)
    return code, ready, time.perf_counter() - started


def write_big_snapshot(path: Path, rows: int) -> None:
    with path.open("w") as handle:
        handle.write("org_id,name,plan,snapshot_at\n")
        handle.writelines(f"big{n},Org {n},pro,2025-12-01T00:00Z\n" for n in range(rows))


def ledger(path: Path) -> list[str] | None:
    """The files a killed ingest committed, after checking each is whole (None: no schema yet).

    Whole: every snapshot or activity row of the warehouse comes from a file in the ledger,
    with as many rows as the ledger says.
    """
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if not {"ingested_files", "snapshot_files", "activities"} <= tables:
            return None
        files = [file for (file,) in con.execute("select file from ingested_files").fetchall()]
        for table in ("snapshot_files", "activities", "rejected_rows"):
            orphans = con.execute(
                f"select count(*) from {table} where file not in (select file from ingested_files)"
            ).fetchone()[0]
            assert orphans == 0, table
        mismatched = con.execute(
            "select f.file from ingested_files f left join snapshot_files s using (file)"
            " where f.kind <> 'activities' group by f.file, f.rows_loaded"
            " having coalesce(sum(s.rows_loaded), 0) <> f.rows_loaded"
        ).fetchall()
        assert mismatched == []
    return files


# -- creating the warehouse -------------------------------------------------------------------

CREATE_KILLS = 6


def test_a_process_killed_while_creating_the_warehouse_leaves_none_or_a_whole_one(tmp_path):
    """DuckDB writes a new file's header after creating it; a kill in between must not leave
    a file that no command can open (the warehouse is built aside and linked into place)."""
    script = "import sys; from orgjourney_pipeline import warehouse; warehouse.connect(sys.argv[1])"
    for trial in range(CREATE_KILLS):
        path = tmp_path / f"w{trial}.duckdb"
        process = subprocess.Popen([sys.executable, "-c", script, str(path)])
        while process.poll() is None and not any(tmp_path.glob(f"*w{trial}.duckdb*")):
            pass  # kill at the first sign of the file: the window the header is missing
        time.sleep(0.0005 * trial)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if path.exists():
            duckdb.connect(str(path), read_only=True).close()  # whole
        with warehouse.connect(path) as con:  # and a later command creates or opens it
            assert con.execute("select count(*) from schema_migrations").fetchone()[0] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"w{trial}.duckdb" for trial in range(CREATE_KILLS)
    )  # no temporary file left behind
