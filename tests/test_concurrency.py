"""Concurrent runs: two writers on one warehouse — the second waits, or stops saying why.

DuckDB lets one process write a file: a second `run` or `ingest` waits for the lock up to
ORGJOURNEY_LOCK_WAIT seconds, then stops with a clear message. Threads of one process share
the database, so `run_and_export` also holds a per-file lock. Either way no window is
processed twice and no file is loaded twice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from test_crash import (
    FIRST,
    LAST,
    ORGJOURNEY,
    WINDOWS,
    case_paths,
    cli_env,
    orgjourney,
    warehouse_state,
    write_inbox,
    write_journeys,
)

from orgjourney_pipeline import pipeline, warehouse
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.timeutil import parse_instant

# Processes and threads raced: `make slow` and, in rounds, `make reliability` (both in CI).
pytestmark = pytest.mark.slow

TWO_WINDOWS = "2026-01-05T11:00Z"
BUSY = "the warehouse is in use by another orgjourney process"
WAITING = "in use by another orgjourney process"


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> dict:
    """An inbox, journeys, and a warehouse with the inbox ingested."""
    root = tmp_path_factory.mktemp("concurrency")
    folders = {"inbox": root / "inbox", "journeys": root / "journeys"}
    write_inbox(folders["inbox"])
    write_journeys(folders["journeys"])
    ingested = case_paths(root / "ingested", folders)
    done = orgjourney(ingested, "ingest")
    assert done.returncode == 0, done.stderr
    return {**folders, "ingested": ingested["warehouse"]}


def start(paths: dict[str, Path], *args: str, lock_wait: float = 60) -> subprocess.Popen:
    env = cli_env(paths)
    env["ORGJOURNEY_LOCK_WAIT"] = str(lock_wait)
    return subprocess.Popen(
        [ORGJOURNEY, *args],
        env=env,
        cwd=paths["warehouse"].parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout + stderr


def assert_each_window_once(path: Path, expected: int = WINDOWS) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        runs, windows = con.execute(
            "select count(*), count(distinct window_end) from runs"
        ).fetchone()
        sends, send_ids = con.execute(
            "select count(*), count(distinct send_id) from sends"
        ).fetchone()
    assert runs == windows == expected
    assert sends == send_ids > 0


# Seconds between the starts of the two processes, one trial each.
RUN_OFFSETS = (0.0, 0.6)


def test_two_runs_at_once_one_waits_and_no_window_is_processed_twice(shared, tmp_path):
    states = []
    for trial, offset in enumerate(RUN_OFFSETS):
        paths = case_paths(tmp_path / f"trial{trial}", shared)
        shutil.copyfile(shared["ingested"], paths["warehouse"])
        first = start(paths, "run", "--from", FIRST, "--through", LAST)
        time.sleep(offset)
        second = start(paths, "run", "--from", FIRST, "--through", LAST)
        outcomes = [finish(first), finish(second)]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        processed = [output for _, output in outcomes if f"processed {WINDOWS} window(s)" in output]
        waited = [output for _, output in outcomes if "nothing to do" in output]
        assert (len(processed), len(waited)) == (1, 1), outcomes
        assert_each_window_once(paths["warehouse"])
        states.append(warehouse_state(paths["warehouse"]))
    assert all(state == states[0] for state in states)


def test_two_ingests_at_once_load_each_file_once(shared, tmp_path):
    expected = warehouse_state(shared["ingested"])
    for trial in range(2):
        paths = case_paths(tmp_path / f"trial{trial}", shared)
        first = start(paths, "ingest")
        second = start(paths, "ingest")
        outcomes = [finish(first), finish(second)]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        assert sum("already_loaded" in output for _, output in outcomes) == 1
        assert warehouse_state(paths["warehouse"]) == expected


def test_a_run_and_an_ingest_at_once_both_finish_and_process_each_window_once(shared, tmp_path):
    paths = case_paths(tmp_path, shared)
    shutil.copyfile(shared["ingested"], paths["warehouse"])
    late = tmp_path / "late"
    late.mkdir()
    (late / "activities-late.csv").write_text(
        "event_id,contact_id,activity_type,occurred_at,properties\n"
        "late1,c1,purchase,2026-01-05T09:30Z,{}\n"
    )
    running = start(paths, "run", "--from", FIRST, "--through", TWO_WINDOWS)
    ingesting = start(paths, "ingest", str(late))
    assert [finish(running)[0], finish(ingesting)[0]] == [0, 0]
    assert_each_window_once(paths["warehouse"], 2)


def test_a_second_writer_that_cannot_wait_stops_with_a_clear_message(shared, tmp_path):
    paths = case_paths(tmp_path, shared)
    shutil.copyfile(shared["ingested"], paths["warehouse"])
    holder = duckdb.connect(str(paths["warehouse"]))  # another process's write lock
    try:
        for args in (("run", "--through", LAST), ("ingest",), ("check",)):
            code, output = finish(start(paths, *args, lock_wait=0.3))
            assert code == 1, output
            assert f"Error: {paths['warehouse']}: {BUSY} (waited 0.3 s)" in output
    finally:
        holder.close()
    with duckdb.connect(str(paths["warehouse"]), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchone() == (0,)


def test_a_second_writer_waits_for_the_lock_and_then_runs(shared, tmp_path):
    """The run says it waits, starts its windows only once the lock is released, and says
    how long it waited."""
    paths = case_paths(tmp_path, shared)
    shutil.copyfile(shared["ingested"], paths["warehouse"])
    holder = duckdb.connect(str(paths["warehouse"]))
    try:
        waiting = start(paths, "run", "--from", FIRST, "--through", TWO_WINDOWS, lock_wait=30)
        said = wait_for_line(waiting, f"waiting for {paths['warehouse']}: {WAITING}")
        released_at = warehouse.utc_now()
    finally:
        holder.close()
    code, output = finish(waiting)
    assert code == 0, said + output
    assert re.search(r"the warehouse is free: waited \d+\.\d\d s", output), output
    with duckdb.connect(str(paths["warehouse"]), read_only=True) as con:
        [(first_started_at,)] = con.execute("select min(started_at) from runs").fetchall()
    assert first_started_at > released_at
    assert_each_window_once(paths["warehouse"], 2)


def wait_for_line(process: subprocess.Popen, prefix: str) -> str:
    """Read the process's standard error up to a line starting with `prefix` (what it said)."""
    said = ""
    for line in process.stderr:
        said += line
        if line.startswith(prefix):
            return said
    raise AssertionError(f"the process ended without saying {prefix!r}:\n{said}")


# -- threads of one process -----------------------------------------------------------------


def test_two_threads_running_windows_at_once_process_each_window_once(shared, tmp_path):
    paths = case_paths(tmp_path, shared)
    shutil.copyfile(shared["ingested"], paths["warehouse"])
    settings = Settings.resolve(**paths)
    reports, failures = [], []

    def run() -> None:
        try:
            con = warehouse.connect(paths["warehouse"])
            try:
                reports.append(
                    pipeline.run_and_export(
                        con, settings, parse_instant(LAST), parse_instant(FIRST)
                    )
                )
            finally:
                con.close()
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(len(report.windows) for report in reports) == [0, WINDOWS]
    assert_each_window_once(paths["warehouse"])


def test_two_dagster_runs_of_the_same_window_at_once_process_it_once(shared, tmp_path):
    from dagster_project.assets import build_assets, window_partitions
    from dagster_project.resources import OrgjourneyResource
    from dagster_project.tables import WINDOW_ASSET_KEYS

    paths = case_paths(tmp_path, shared)
    shutil.copyfile(shared["ingested"], paths["warehouse"])
    resource = OrgjourneyResource(**{key: str(path) for key, path in paths.items()})
    assets = build_assets(window_partitions(FIRST))
    outcomes = []

    def materialize() -> None:
        result = dg.materialize(
            assets,
            selection=dg.AssetSelection.assets(*WINDOW_ASSET_KEYS),
            resources={"orgjourney": resource},
            partition_key="2026-01-05-12:00",
            raise_on_error=False,
        )
        outcomes.append(result.success)

    threads = [threading.Thread(target=materialize) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == [True, True]
    # A warehouse with no processed window starts at the partition: one window.
    assert_each_window_once(paths["warehouse"], 1)


TRIALS = len(RUN_OFFSETS) + 2 + 1 + 3 + 1 + 1 + 1  # processes or threads raced, per test above
