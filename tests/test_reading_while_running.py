"""Readers while a run writes (SPEC section 5, "Reading while a run writes").

A long multi-window `orgjourney run` writes in its own process while readers of every kind
read in loops beside it, each in processes of its own: the read commands (`report`,
`preview`, `export`, `explain`, `status`, `fields`), the Python API, and a DuckDB connection
through `orgjourney_pipeline.read_connection`. None fails, each waits at most about one
window's time (the windows' own durations come from the `runs` ledger), and each sees only
committed windows: every send it reads belongs to a window it also sees in `runs`.

How long a read of the Python API or a connection takes depends on how busy the two cores
are, so those reads are bounded by order, not time: no more windows start during a read than
the read opens the file (each open waits at most for the window in progress, or the one that
took its turn the instant it arrived; the runner stamps `started_at` once it holds the file).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from test_crash import ORGJOURNEY, case_paths, cli_env

from orgjourney_pipeline.sample import write_sample
from orgjourney_pipeline.settings import demo_journeys_dir

pytestmark = pytest.mark.slow

RUN_WINDOWS = 16
WAITED = re.compile(r"the warehouse is free: waited (\d+\.\d+) s")
# Slack over the longest window, for what is not the window's SQL: its exports, the file's
# reopening, and two cores shared by the run and every reader.
SLACK_SECONDS = 1.5

# One reader in its own process: reads in a loop until the stop file appears, and writes one
# JSON line per read (how long it took, what it saw, any error).
READER = """
import json, sys, time
from pathlib import Path
import orgjourney_pipeline

kind, path, stop, out = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
with out.open("w") as lines:
    while True:
        last = stop.exists()
        started = time.time()
        seen = {"kind": kind, "started": started}
        try:
            if kind == "api":
                seen["opens"] = 3  # open() checks the file; each table() opens it again
                warehouse = orgjourney_pipeline.open(path)
                sends = warehouse.table("sends")  # first: the runs read after cover them
                windows = set(warehouse.table("runs")["window_end"].to_list())
                orphans = sum(run_at not in windows for run_at in sends["run_at"].to_list())
                seen.update(windows=len(windows), sends=sends.height, orphans=orphans)
            else:
                seen["opens"] = 1
                with orgjourney_pipeline.read_connection(path) as con:
                    [(runs, sends, orphans)] = con.execute(
                        "select (select count(*) from runs), (select count(*) from sends),"
                        " (select count(*) from sends where run_at not in"
                        "  (select window_end from runs))"
                    ).fetchall()
                seen.update(windows=runs, sends=sends, orphans=orphans)
        except Exception as error:
            seen["error"] = f"{type(error).__name__}: {error}"
        seen["ended"] = time.time()
        lines.write(json.dumps(seen) + "\\n")
        lines.flush()
        if last:
            break
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """The demo sample ingested, the bundled journeys, and the windows a long run processes."""
    root = tmp_path_factory.mktemp("reading")
    paths = case_paths(root, {"inbox": root / "inbox", "journeys": root / "journeys"})
    manifest = write_sample(paths["inbox"], size="demo", formats="parquet")
    shutil.copytree(demo_journeys_dir(), paths["journeys"])
    done = cli(paths, "ingest")
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(paths["warehouse"]), read_only=True) as con:
        [(org_id,)] = con.execute("select min(org_id) from organizations").fetchall()
    start = manifest.end - timedelta(hours=RUN_WINDOWS)
    return {"paths": paths, "org_id": org_id, "start": start, "through": manifest.end}


def cli(paths: dict[str, Path], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ORGJOURNEY, *args],
        env=cli_env(paths),
        cwd=paths["warehouse"].parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_readers_of_every_kind_read_while_a_long_run_writes(world, tmp_path):
    paths = world["paths"]
    stop = tmp_path / "stop"
    commands = [
        ("status", "--json"),
        ("report",),
        ("export", "sends", "--out", "-"),
        ("preview", "vip-welcome", "--json"),
        ("explain", world["org_id"], "--json"),
        ("fields", "--json"),
    ]
    run = subprocess.Popen(
        [
            ORGJOURNEY,
            "run",
            "--from",
            world["start"].isoformat(),
            "--through",
            world["through"].isoformat(),
        ],
        env=cli_env(paths),
        cwd=paths["warehouse"].parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    readers = {
        kind: subprocess.Popen(
            [sys.executable, "-c", READER, kind, str(paths["warehouse"]), stop, tmp_path / kind],
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in ("api", "connection")
    }
    commanded: list[tuple[tuple[str, ...], subprocess.CompletedProcess]] = []

    def read_in_turn(order: list[tuple[str, ...]]) -> None:
        # Until the run has ended, then once more each: the last reads see every window.
        while True:
            ended = run.poll() is not None
            for args in order:
                commanded.append((args, cli(paths, *args)))
            if ended:
                return

    threads = [
        threading.Thread(target=read_in_turn, args=(order,)) for order in (commands, commands[::-1])
    ]
    for thread in threads:
        thread.start()
    run_out, run_err = run.communicate(timeout=600)
    for thread in threads:
        thread.join(timeout=600)
    stop.touch()
    reader_errors = {kind: reader.communicate(timeout=120)[1] for kind, reader in readers.items()}
    assert run.returncode == 0, run_err
    assert f"processed {RUN_WINDOWS} window(s)" in run_out, run_out

    bound = longest_window_seconds(paths["warehouse"]) + SLACK_SECONDS
    starts = window_starts(paths["warehouse"])
    failures = [(args, done.stderr) for args, done in commanded if done.returncode != 0]
    assert failures == []
    waits = [float(m) for _, done in commanded for m in WAITED.findall(done.stderr)]
    assert waits and max(waits) <= bound, (waits, bound)

    seen = {kind: read_lines(tmp_path / kind) for kind in readers}
    for kind, reads in seen.items():
        assert [read for read in reads if "error" in read] == [], reader_errors[kind]
        assert all(read["orphans"] == 0 for read in reads), reads
        windows = [read["windows"] for read in reads]
        assert windows == sorted(windows), windows  # committed windows only ever grow
        assert windows[-1] == RUN_WINDOWS
        # Read beside the run: some read saw the run part-way through.
        assert any(0 < count < RUN_WINDOWS for count in windows), windows
        overtaken = [read for read in reads if starts_during(read, starts) > read["opens"]]
        assert overtaken == [], (overtaken, starts)


def longest_window_seconds(path: Path) -> float:
    """The longest time from one window's start to the next's (its SQL, its exports and the
    file's reopening), from the `runs` ledger; the last window's own duration for the last."""
    with duckdb.connect(str(path), read_only=True) as con:
        [(longest,)] = con.execute(
            "select max(epoch(coalesce(next_start, finished_at)) - epoch(started_at)) from ("
            " select started_at, finished_at,"
            "  lead(started_at) over (order by window_end) as next_start from runs)"
        ).fetchall()
    return longest


def window_starts(path: Path) -> list[float]:
    """When each window began (seconds since the epoch), from the `runs` ledger."""
    with duckdb.connect(str(path), read_only=True) as con:
        return [start for (start,) in con.execute("select epoch(started_at) from runs").fetchall()]


def starts_during(read: dict, starts: list[float]) -> int:
    """How many windows began while one read was under way."""
    return sum(read["started"] < start < read["ended"] for start in starts)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
