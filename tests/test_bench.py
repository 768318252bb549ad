"""The benchmark keeps working: a small run at scale xs with a few journeys (no timing bounds).

The full benchmark is never part of the default test run; this one checks the shape of its
figures, that every journey shape validates, and the CLI command's JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orgjourney_pipeline import bench, sample, warehouse
from orgjourney_pipeline import journeys as language
from orgjourney_pipeline.bench import lower_bound, measure
from orgjourney_pipeline.cli import cli
from orgjourney_pipeline.ingest import file_kind, ingest_paths
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows import window

# The benchmark end to end at scale xs: `make slow` (CI), not the default `make test`.
pytestmark = pytest.mark.slow

REQUIRED_KEYS = {
    "scale",
    "journeys",
    "window_s",
    "lower_bound_s",
    "ratio",
    "growth",
    "backfill_s_per_window",
    "reference_speedup",
    "ingest_rows_per_s",
    "peak_rss_mb",
    "statements_per_window",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    options = bench.BenchOptions(
        scale="xs",
        journeys=10,
        windows=5,
        warmup=1,  # profiled (`profile`)
        backfill=2,
        reference_windows=2,
        # The backfill ingests all its hours' files before its first window, so it sees a
        # CRM sync as of a window's end (`snapshot_at <= end`) that the hourly run ingests
        # only after that window: syncs every 3 hours fall on no backfill window's end here
        # (hours 7 and 8), so both ways make the same sends.
        snapshot_every=3,
        backtest_days=1,
        workdir=tmp_path_factory.mktemp("bench"),
    )
    phases: list[str] = []
    figures = bench.run_bench(options, progress=phases.append)
    figures["_phases"] = phases
    figures["_workdir"] = options.workdir
    return figures


def test_the_figures_have_every_key_the_issue_names(result: dict) -> None:
    assert set(result) >= REQUIRED_KEYS
    assert result["scale"] == "xs" and result["journeys"] == 10


def test_the_figures_are_sane(result: dict) -> None:
    assert result["window_min_s"] <= result["window_s"] <= result["window_max_s"]
    assert len(result["window_seconds"]) == 5
    assert result["lower_bound_s"] > 0
    assert result["ratio"] == pytest.approx(result["window_s"] / result["lower_bound_s"], 0.01)
    assert result["growth"] > 0 and result["backfill_s_per_window"] > 0
    # The backfill's windows and the invocation's own work add up to its seconds per window.
    windows = result["backfill_window_seconds"]
    assert len(windows) == result["backfill_windows"]
    total = sum(windows) + result["backfill_invocation_s"]
    assert total / len(windows) == pytest.approx(result["backfill_s_per_window"], abs=2e-3)
    assert set(result["backfill_phases_s"]) >= set(result["phases_s"])
    assert result["ingest_rows_per_s"] > 0 and result["ingest_hour_rows_per_s"] > 0
    # The activity files are most of the history, measured beside DuckDB alone on them.
    assert 0.5 * result["ingest_history_rows"] < result["ingest_activities_rows"]
    assert result["ingest_activities_rows"] < result["ingest_history_rows"]
    speeds = result["ingest_bound_rows_per_s"] / result["ingest_activities_rows_per_s"]
    assert result["ingest_ratio"] == pytest.approx(speeds, rel=0.01)
    assert result["ingest_hour_growth"] > 0
    assert result["peak_rss_mb"] > 0 and result["statements_per_window"] > 10
    assert set(result["lower_bound_parts_s"]) == {
        "rollup",
        "triggers",
        "member_rollups",
        "entry_filters",
        "recipients",
        "caps",
    }
    assert result["active_enrollments"] > 0 and result["sends_total"] > 0
    # The windows after the catch-up left rows to compact, and timing it changed nothing.
    assert result["compaction_recent_rows"] > 0 and result["compaction_s"] > 0
    assert result["compaction_s_per_window"] == pytest.approx(result["compaction_s"] / 24, abs=1e-4)
    assert set(result["growth_phases_1x_s"]) == set(result["phases_s"])


def test_the_backfill_is_measured_beside_the_same_hours_run_hourly(result: dict) -> None:
    # The copy from before the backfill ran its hours one invocation an hour: the same
    # windows on the same data, so they made the same sends, window by window.
    assert len(result["backfill_steady_window_seconds"]) == result["backfill_windows"] == 2
    assert result["backfill_steady_window_sends"] == result["backfill_window_sends"]
    assert sum(result["backfill_window_sends"]) > 0
    assert result["backfill_ratio"] == pytest.approx(
        result["backfill_s_per_window"] / result["backfill_steady_s_per_window"], abs=1e-3
    )
    hourly = zip(
        result["backfill_steady_invocation_seconds"],
        result["backfill_steady_window_seconds"],
        strict=True,
    )
    assert all(invocation >= window for invocation, window in hourly)
    assert set(result["backfill_steady_phases_s"]) >= set(result["phases_s"])
    assert result["targets"]["backfill_ratio"]["met"] is None  # the target is at m and l
    assert not (result["_workdir"] / "steady.duckdb").exists()  # the copy is gone


def test_the_warm_up_window_is_profiled_by_duckdb(result: dict) -> None:
    profile = result["profile"]
    assert profile["window"] == "window 2 (the last warm-up)"
    # Every step's statements were profiled, and the window's seconds add up from its parts.
    assert profile["statements"] >= result["statements_per_window"]
    parts = profile["planning_s"] + profile["execution_s"]
    assert parts == pytest.approx(profile["duckdb_s"], abs=1e-3)
    parts += profile["steps_python_s"] + profile["outside_steps_s"]
    assert parts == pytest.approx(profile["window_s"], abs=2e-3)
    assert 0 < profile["duckdb_s"] < profile["steps_s"] < profile["window_s"]
    # The three steps slowest in the measured windows, each with its costliest operators.
    assert list(profile["top_steps"]) == list(result["phases_s"])[:3]
    for step in profile["top_steps"].values():
        assert step["statements"] >= 1 and step["seconds"] > 0
        assert step["operators"] and all(op["name"] for op in step["operators"])
        timings = [op["seconds"] for op in step["operators"]]
        assert timings == sorted(timings, reverse=True)
    # The invocation's preflight bound, apart, the statement of each step that writes a table
    # in a window computing its state afresh, and of none that only a kept state runs.
    fresh = {**window.FRESH_STATE, "compact_activity": False}
    steps = window_steps.flat_steps(window_steps.load_steps())
    bound = set(profile["preflight"]["steps"])
    assert bound >= {s.name for s in steps if s.write != "view" and s.runs(fresh)}
    assert not bound & {"13_organizations_at_touched", "37_unsubscribed_contacts_added"}
    assert profile["preflight"]["statements"] >= len(bound)


def test_the_lower_bound_caps_the_sends_the_engine_caps(result: dict) -> None:
    # Part 5 of the bound ranks its own recipients (part 4, narrowed by each step's send_to)
    # against delivery.yaml's caps: it must reach the engine's decisions, or it is not the
    # same work.
    assert result["capped_sends"] > 0
    assert result["lower_bound_capped_sends"] == result["capped_sends"]


def test_one_journey_is_backtested_over_the_history_and_the_steady_windows(result: dict) -> None:
    assert result["backtest_journey"] == "bench-001"
    assert result["backtest_windows"] == 24  # one day of history
    assert result["backtest_steady_windows"] == 5  # the measured windows
    assert result["backtest_s"] > result["backtest_copy_s"] > 0
    assert result["backtest_s_per_window"] > 0 and result["backtest_steady_s_per_window"] > 0
    # The history's first window rolls up all of it: no steady window, reported on its own.
    assert 0 < result["backtest_first_window_s"] < result["backtest_s"]
    assert result["targets"]["backtest_s"]["met"] is None  # the target is at scale m


def test_the_reference_runs_the_same_windows_with_the_same_sends(result: dict) -> None:
    assert result["reference_windows"] == 2
    assert result["reference_sends"] > 0
    assert result["reference_sends_identical"] is True
    assert result["reference_speedup"] > 0


def test_progress_is_reported_phase_by_phase(result: dict) -> None:
    options = bench.BenchOptions(scale="xs", windows=5, warmup=1, reference=True)
    assert len(result["_phases"]) == bench.phase_count(options)


def test_the_journey_mix_covers_every_entry_kind_and_frequency(tmp_path: Path) -> None:
    bench.write_journeys(tmp_path, 20)
    journeys, problems = language.load_journeys(tmp_path)
    assert problems == [] and len(journeys) == 20
    assert {j.entry.when for j in journeys} == {
        "filter",
        "activity",
        "tags",
        "approaching_date",
        "anniversary",
        "recurring",
    }
    assert {j.entry.every for j in journeys if j.entry.when == "recurring"} == {
        "day",
        "week",
        "month",
    }
    assert {j.frequency for j in journeys} == {"once", "once_at_a_time", "every_time"}
    actions = {step.ACTION for j in journeys for step in j.steps}
    assert actions == {
        "send_email",
        "send_sms",
        "delay",
        "wait_for",
        "condition",
        "split",
        "tag_org",
        "update_org",
        "exit",
    }


def test_the_journey_mix_uses_every_delivery_rule(tmp_path: Path) -> None:
    bench.write_journeys(tmp_path, 10)
    journeys, _ = language.load_journeys(tmp_path)
    rules, problems = language.load_delivery(tmp_path)
    assert problems == []
    assert {(cap.channel, cap.per) for cap in rules.caps} == {
        ("email", "day"),
        ("email", "week"),
        ("sms", "day"),
    }
    assert rules.global_holdout_percent == 2
    windows = [j.send_window for j in journeys if j.send_window is not None]
    assert windows and all(window.by_organization for window in windows)
    assert any(j.priority > 0 for j in journeys)
    assert any(j.cap_exempt for j in journeys)
    assert any(j.holdout_percent for j in journeys)


def test_duckdb_alone_loads_every_activity_row_from_parquet_and_from_csv(tmp_path: Path) -> None:
    # The same seeded history written both ways: the bound reads every row of each, as many
    # as orgjourney's own ingest of the CSV files reads (it loads fewer: the sample repeats
    # some event ids), and it refuses mixed formats. Part by part, each part reads every row
    # too.
    loaded, files_of = {}, {}
    for form in ("parquet", "csv"):
        manifest = sample.write_sample(tmp_path / form, sample.SCALES["xs"], 7, formats=form)
        files = files_of[form] = [p for p in manifest.files if file_kind(p) == "activities"]
        assert {path.suffix for path in files} == {f".{form}"}
        loaded[form], seconds = measure.ingest_bound(tmp_path / f"{form}.duckdb", files)
        assert seconds > 0 and not (tmp_path / f"{form}.duckdb").exists()
    for form, files in files_of.items():
        parts = measure.ingest_bound_parts(tmp_path / "parts.duckdb", files)
        assert list(parts) == ["decode", "memory", "disk"]
        assert {rows for rows, _ in parts.values()} == {loaded[form]}, form
        assert not (tmp_path / "parts.duckdb").exists()
    con = warehouse.connect(tmp_path / "orgjourney.duckdb")
    report = ingest_paths(con, files_of["csv"])
    con.close()
    assert report.ok and loaded["csv"] == loaded["parquet"] > 1000
    assert loaded["csv"] == sum(result.rows_total for result in report.files)
    with pytest.raises(ValueError, match="Parquet or CSV"):
        measure.ingest_bound(tmp_path / "mixed.duckdb", [tmp_path / "a.csv", tmp_path / "b.jsonl"])


def test_the_lower_bound_knows_every_entry_kind() -> None:
    assert set(lower_bound.ENTRY_BOUNDS) == set(language.ENTRY_KINDS)


def test_the_lower_bound_triggers_are_the_activity_entries_waits_and_attributions(
    tmp_path: Path,
) -> None:
    bench.write_journeys(tmp_path, 10)
    journeys, _ = language.load_journeys(tmp_path)
    rows = lower_bound.triggers(journeys).to_pylist()
    entries = {(row["journey_id"], row["activity_type"]) for row in rows if row["kind"] == "entry"}
    assert entries == {(j.id, j.entry.activity) for j in journeys if j.entry.when == "activity"}
    waits = {row["journey_id"] for row in rows if row["kind"] == "enrollment"}
    assert waits == {
        j.id for j in journeys if j.attribution or any(s.WAITS_FOR_ACTIVITY for s in j.steps)
    }


def test_the_cli_writes_the_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    outcome = CliRunner().invoke(
        cli,
        [
            "bench",
            "--scale",
            "xs",
            "--journeys",
            "3",
            "--windows",
            "5",
            "--backfill",
            "1",
            "--no-growth",
            "--no-reference",
            "--enrollments",
            "40",
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(out),
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    figures = json.loads(out.read_text())
    assert set(figures) >= REQUIRED_KEYS
    assert figures["growth"] is None and figures["reference_speedup"] is None
    assert "ratio" in outcome.output
    # Without a terminal (a log, a pipe) each phase is a line of its own, with the time taken.
    phases = [line for line in outcome.output.splitlines() if re.match(r"\[\d+:\d\d:\d\d\] ", line)]
    options = bench.BenchOptions(
        scale="xs", journeys=3, windows=5, backfill=1, growth=False, reference=False, enrollments=40
    )
    assert len(phases) == bench.phase_count(options), phases
    assert any("catch-up" in line for line in phases)
    # The generated enrollments are in the warehouse, each once, and the windows moved them.
    assert figures["generated_enrollments"] == 40
    with duckdb.connect(str(tmp_path / "work" / "main.duckdb"), read_only=True) as con:
        generated = con.execute(
            "select count(*), count(distinct enrollment_id) from enrollments where enrollment_id"
            " in (select md5('bench-generated|' || n) from range(40) as r(n))"
        ).fetchone()
        moved = con.execute(
            "select count(distinct enrollment_id) from enrollment_steps where enrollment_id"
            " in (select md5('bench-generated|' || n) from range(40) as r(n))"
        ).fetchone()[0]
    assert generated == (40, 40)
    assert moved > 0  # some fell due within the run's windows


def test_the_sweeps_measure_each_curve_point_by_point(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(bench.sweeps, "SWEEPS", {"history": (0.5, 1.0), "journeys": (3,)})
    phases: list[str] = []
    curves = bench.run_sweeps(
        "xs", journeys=3, windows=1, workdir=tmp_path / "work", progress=phases.append
    )
    assert phases[0] == "generate data" and len(phases) == 3
    assert [p["value"] for p in curves["history"]] == [0.5, 1.0]
    low, high = curves["history"]
    assert 0 < low["history_events"] < high["history_events"]
    (point,) = curves["journeys"]
    assert len(point["window_seconds"]) == 1 and point["window_s"] > 0


def test_the_sweep_charts_are_pngs_one_per_curve(tmp_path: Path) -> None:
    def point(value, x, seconds):
        return {
            "value": value,
            "history_events": x,
            "events_per_hour": x,
            "window_s": seconds[1],
            "window_seconds": seconds,
        }

    curves = {
        "scale": "xs",
        "journey_count": 50,
        "history": [point(0.5, 1000, [1, 2, 3]), point(1.0, 2000, [2, 3, 4])],
        "journeys": [point(5, 2000, [1, 1, 1]), point(50, 2000, [3, 3, 3])],
        "events_per_hour": [point(1, 100, [1, 2, 2]), point(2, 200, [2, 2, 3])],
    }
    paths = bench.write_charts(curves, tmp_path)
    assert sorted(p.name for p in paths) == [
        "bench-window-vs-events-per-hour.png",
        "bench-window-vs-history.png",
        "bench-window-vs-journeys.png",
    ]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
