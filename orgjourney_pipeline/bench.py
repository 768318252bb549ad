"""The benchmark (SPEC section 6): one process, one run, figures as ratios.

These machines are shared and noisy, so every figure that matters is a ratio of two things
measured side by side, window by window, in the same process on the same data:

- `ratio`: the steady-state window against a hand-written bare-DuckDB lower bound of the same
  window's irreducible work (`lower_bound_window`), run right after it on the same warehouse;
- `growth`: the same windows on the same data with 4x and 1x history, run in lockstep;
- `reference_speedup`: the row-at-a-time reference model (`orgjourney_reference`)
  over the same windows, with a check that both produce the same sends.

Phases: generate seeded inbox files (`sample`) and a mix of journeys (`write_journeys`);
ingest the history (twice: the full history and its last quarter); then hour by hour ingest
the hour's files (activity and an hourly CRM sync) into both warehouses and run the window in
each — a catch-up window (it rolls up all history), warm-up windows, then the measured ones,
each followed by its lower bound; then the daily compaction of the activity rollup, timed
and rolled back; then a backfill of 24 windows in one invocation; then the reference
comparison on a fresh warehouse. `run_bench` returns every figure as a dict (the
JSON of `orgjourney bench --json`).
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psutil
from ruamel.yaml import YAML
from sqlglot import exp

import orgjourney_reference as reference
from orgjourney_pipeline import catalog, sample, sqlfiles, warehouse
from orgjourney_pipeline import journeys as model
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.ingest import ingest_paths
from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.filters import Clock, FilterScope, compile_filter
from orgjourney_pipeline.journeys.fusion import fuse_branches, parse
from orgjourney_pipeline.windows import steps as sqlsteps
from orgjourney_pipeline.windows.plan import Window
from orgjourney_pipeline.windows.run import run_windows
from orgjourney_pipeline.windows.window import WindowResult

HOUR = timedelta(hours=1)

#: The issue's targets: (JSON key, comparison, bound, the scale it applies to).
TARGETS = (
    ("ratio", "<=", 3.0, "l"),
    ("growth", "<=", 1.2, "l"),
    ("peak_rss_mb", "<=", 8 * 1024, "l"),
    ("backfill_s_per_window", "<=", 0.8, "m"),
    ("reference_speedup", ">=", 50.0, "s"),
)


@dataclass
class BenchOptions:
    """What to run; the defaults are the issue's."""

    scale: str = "s"
    journeys: int = 50
    seed: int = 7
    windows: int = 6  # measured steady-state windows (at least 5)
    warmup: int = 1  # windows after the catch-up window, not measured
    backfill: int = 24  # windows of the backfill invocation
    growth: bool = True  # run the 1x-history twin in lockstep
    reference: bool | None = None  # None: at scales xs and s
    reference_windows: int = 3  # windows the reference model runs (the first is the catch-up)
    snapshot_share: float = 0.03  # share of organizations and contacts an hourly sync changes
    # A CRM sync every this many hours (0: none; None: every hour, but every 4 hours at
    # scale l, where each sync is a 10M-row contacts snapshot).
    snapshot_every: int | None = None
    # Generated active enrollments added after the catch-up window, waiting at the journeys'
    # delay and wait_for steps and falling due over the next week (0: none).
    enrollments: int = 0
    workdir: Path | None = None  # kept if given; else a temp folder, removed at the end


@dataclass
class _Twin:
    """One warehouse of the run: the main one (4x history) or the 1x-history one."""

    name: str
    con: duckdb.DuckDBPyConnection
    windows: list[WindowResult] = field(default_factory=list)


Progress = Callable[[str], None]


def phase_count(options: BenchOptions) -> int:
    """How many times `run_bench` calls its progress callback (for a progress bar)."""
    hours = 1 + options.warmup + options.windows
    return 5 + hours + 1 + (1 if _wants_reference(options) else 0)


def run_bench(options: BenchOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run every phase of the benchmark; return its figures (see the module docstring)."""
    if options.windows < 5:
        raise ValueError("the steady state needs at least 5 measured windows")
    if options.scale not in sample.SCALES:
        raise ValueError(f"unknown scale {options.scale!r} (known: {', '.join(sample.SCALES)})")
    step = progress or (lambda _phase: None)
    with _workdir(options.workdir) as root, _RssSampler() as rss:
        return _Bench(options, root, step, rss).run()


# -- the run ----------------------------------------------------------------------------------


class _Bench:
    def __init__(self, options: BenchOptions, root: Path, step: Progress, rss: _RssSampler):
        self.options, self.root, self.step, self.rss = options, root, step, rss
        self.size = sample.SCALES[options.scale]
        self.result: dict[str, Any] = {"scale": options.scale, "journeys": options.journeys}
        self.notes: list[str] = []

    def run(self) -> dict[str, Any]:
        options, root = self.options, self.root
        hours = 1 + options.warmup + options.windows
        clock = time.perf_counter()

        self.step("generate data and journeys")
        manifest = sample.write_sample(root / "history", self.size, options.seed, formats="parquet")
        self.manifest = manifest
        self.journeys_dir = root / "journeys"
        write_journeys(self.journeys_dir, options.journeys, manifest.end)
        hour_files = [self._write_hour(h) for h in range(hours + options.backfill)]
        self.result["generate_s"] = round(time.perf_counter() - clock, 2)

        self.step("ingest the history")
        main = _Twin("4x", warehouse.connect(root / "main.duckdb"))
        history_rows, seconds = _ingest(main.con, manifest.files)
        self.result["ingest_history_rows"] = history_rows
        self.result["ingest_history_s"] = round(seconds, 3)
        self.result["ingest_rows_per_s"] = round(history_rows / seconds)

        twins = [main]
        if options.growth:
            self.step("ingest the 1x history")
            quarter = _Twin("1x", warehouse.connect(root / "quarter.duckdb"))
            _ingest(quarter.con, self._quarter_files())
            # Each twin keeps the warehouse's own memory limit: the catch-up window of scale l
            # needs it (halved, its rollup of 100M events runs out of memory).
            twins.append(quarter)
        else:
            self.step("(no 1x history)")

        self.step("hour by hour: catch-up, warm-up and measured windows")
        hour_ingest: list[tuple[int, float]] = []
        lower_bounds: list[dict[str, float]] = []
        executions: list[int] = []
        with _LowerBound(main.con, self.journeys_dir) as bound:
            for hour in range(hours):
                label = "catch-up" if hour == 0 else "warm-up" if hour <= options.warmup else ""
                self.step(f"window {hour + 1}/{hours} {label}".rstrip())
                rows, seconds = _ingest(main.con, hour_files[hour])
                for twin in twins[1:]:
                    _ingest(twin.con, hour_files[hour])
                main.windows.append(self._run_window(main.con, hour))
                for twin in twins[1:]:
                    twin.windows.append(self._run_window(twin.con, hour))
                if hour == 0 and options.enrollments:
                    for twin in twins:
                        self._add_enrollments(twin.con, self._window(hour).end)
                if hour > options.warmup:
                    hour_ingest.append((rows, seconds))
                    executions.append(main.windows[-1].step_runs)
                    lower_bounds.append(bound.measure(self._window(hour)))
        self.rss.mark("windows")
        for twin in twins[1:]:
            twin.con.close()
        self._report_windows(main, twins, hour_ingest, lower_bounds, executions)
        self.step("the daily compaction of the activity rollup")
        self._measure_compaction(main.con)

        self.step(f"backfill: {options.backfill} windows in one invocation")
        if options.backfill:
            _ingest(main.con, [p for files in hour_files[hours:] for p in files])
            clock = time.perf_counter()
            report = run_windows(
                DuckDBEngine(main.con),
                self._window(hours + options.backfill - 1).end,
                journeys_dir=self.journeys_dir,
            )
            elapsed = time.perf_counter() - clock
            self.result["backfill_windows"] = len(report.windows)
            self.result["backfill_s_per_window"] = round(elapsed / len(report.windows), 4)
        else:
            self.result["backfill_s_per_window"] = None
        self.rss.mark("backfill")
        self._report_state(main.con)
        main.con.close()

        if _wants_reference(options):
            self.step("the row-at-a-time reference")
            self._reference(hour_files)
        else:
            self.result["reference_speedup"] = None
            self.notes.append(f"no reference run at scale {options.scale} (only xs and s)")

        self.result["peak_rss_mb"] = self.rss.peak_mb("backfill")
        self.result["peak_rss_process_mb"] = self.rss.process_peak_mb()
        self.result["peak_rss_by_phase_mb"] = self.rss.by_phase()
        self.result["targets"] = _targets(self.result)
        self.result["machine"] = _machine()
        self.result["bench_s"] = round(time.perf_counter() - self.rss.started, 1)
        self.result["notes"] = self.notes
        return self.result

    # -- data ---------------------------------------------------------------------------------

    def _window(self, hour: int) -> Window:
        start = self.manifest.end + hour * HOUR
        return Window(start, start + HOUR)

    def _write_hour(self, hour: int) -> list[Path]:
        """An hour's inbox files: its activity and, every `snapshot_every` hours, a CRM sync."""
        options = self.options
        start = self._window(hour).start
        folder = self.root / "hours"
        files = [sample.write_hour(folder, self.size, options.seed, start)]
        every = options.snapshot_every
        if every is None:
            every = 4 if options.scale == "l" else 1
        if every and options.snapshot_share and hour % every == 0 and hour > 0:
            files += sample.write_hour_snapshots(
                folder,
                self.size,
                options.seed,
                start,
                history=(self.manifest.start, self.manifest.end),
                share=options.snapshot_share,
            )
        return files

    def _quarter_files(self) -> list[Path]:
        """The snapshots and the last quarter of the history's day files (1x vs 4x)."""
        snapshots = [p for p in self.manifest.files if not p.name.startswith("activities")]
        days = [p for p in self.manifest.files if p.name.startswith("activities")]
        return snapshots + days[len(days) - max(1, len(days) // 4) :]

    def _run_window(self, con: duckdb.DuckDBPyConnection, hour: int) -> WindowResult:
        window = self._window(hour)
        report = run_windows(
            DuckDBEngine(con), window.end, window.start, journeys_dir=self.journeys_dir
        )
        if len(report.windows) != 1:
            raise RuntimeError(f"expected to run the window ending {window.end}: {report.notes}")
        return report.windows[0]

    # -- figures ------------------------------------------------------------------------------

    def _add_enrollments(self, con: duckdb.DuckDBPyConnection, now: datetime) -> None:
        """`options.enrollments` generated active enrollments, spread over the organizations and
        the waiting steps (delay, wait_for) of the published journeys: entered in the last two
        weeks, each due at one of the next 168 hours (so about 1/168 fall due each window)."""
        journeys, _ = model.load_journeys(self.journeys_dir)
        waiting = [
            (journey.id, journey.version, step.id)
            for journey in journeys
            for step in journey.steps
            if step.WAITS
        ]
        if not waiting:
            raise RuntimeError("no journey has a delay or wait_for step to hold enrollments")
        con.execute(
            "create or replace temp table bench_waiting_steps "
            "(n integer, journey_id varchar, journey_version integer, step_id varchar)"
        )
        con.executemany(
            "insert into bench_waiting_steps values (?, ?, ?, ?)",
            [(n, *step) for n, step in enumerate(waiting)],
        )
        with warehouse.transaction(con):
            con.execute(
                """
                insert into active_enrollments by name
                with orgs as (
                    select org_id, row_number() over (order by org_id) - 1 as n
                    from organizations
                ),
                generated as (
                    select
                        g.n,
                        g.n % (select count(*) from orgs) as org_n,
                        (g.n // (select count(*) from orgs)) % $steps as step_n,
                        $now - to_hours(g.n % 336) as entered_at
                    from range($count) as g(n)
                )
                select
                    md5('bench-generated|' || g.n) as enrollment_id,
                    s.journey_id,
                    s.journey_version,
                    o.org_id,
                    g.entered_at,
                    s.step_id as current_step_id,
                    g.entered_at as reached_at,
                    $now + to_hours(1 + (g.n * 7919) % 168) as wake_at
                from generated as g
                inner join orgs as o on o.n = g.org_n
                inner join bench_waiting_steps as s on s.n = g.step_n
                """,
                {"now": now, "count": self.options.enrollments, "steps": len(waiting)},
            ).fetchall()
        self.result["generated_enrollments"] = self.options.enrollments

    def _report_windows(self, main, twins, hour_ingest, lower_bounds, executions) -> None:
        options, result = self.options, self.result
        measured = main.windows[1 + options.warmup :]
        seconds = [w.seconds for w in measured]
        result["catchup_s"] = round(main.windows[0].seconds, 3)
        result["window_s"] = round(statistics.median(seconds), 4)
        result["window_min_s"] = round(min(seconds), 4)
        result["window_max_s"] = round(max(seconds), 4)
        result["window_seconds"] = [round(s, 4) for s in seconds]
        bounds = [sum(parts.values()) for parts in lower_bounds]
        result["lower_bound_s"] = round(statistics.median(bounds), 4)
        result["lower_bound_seconds"] = [round(s, 4) for s in bounds]
        result["lower_bound_parts_s"] = {
            part: round(statistics.median(p[part] for p in lower_bounds), 4)
            for part in lower_bounds[0]
        }
        # The ratio of medians, and the median of the per-window ratios (side by side).
        result["ratio"] = round(result["window_s"] / result["lower_bound_s"], 2)
        result["ratio_per_window"] = [round(w / b, 2) for w, b in zip(seconds, bounds, strict=True)]
        result["phases_s"] = _median_phases(measured)
        result["python_overhead_s"] = round(
            statistics.median(w.seconds - sum(w.step_seconds.values()) for w in measured), 4
        )
        result["statements_per_window"] = len(result["phases_s"])
        result["step_runs_per_window"] = round(statistics.median(executions))
        result["sends_per_window"] = round(
            statistics.median(w.counts.get("82_record_sends", 0) for w in measured)
        )
        result["entries_per_window"] = round(
            statistics.median(w.counts.get("57_new_enrollments", 0) for w in measured)
        )
        rows = sum(r for r, _ in hour_ingest)
        result["ingest_hour_rows"] = round(rows / len(hour_ingest))
        result["ingest_hour_rows_per_s"] = round(rows / sum(s for _, s in hour_ingest))
        result["events_per_hour"] = self.size.events_per_hour
        if len(twins) > 1:
            quarter = twins[1].windows[1 + options.warmup :]
            t1 = statistics.median(w.seconds for w in quarter)
            result["growth"] = round(result["window_s"] / t1, 3)
            result["growth_window_1x_s"] = round(t1, 4)
            result["growth_per_window"] = [
                round(a.seconds / b.seconds, 3) for a, b in zip(measured, quarter, strict=True)
            ]
            result["growth_phases_1x_s"] = _median_phases(quarter)
        else:
            result["growth"] = None

    def _measure_compaction(self, con: duckdb.DuckDBPyConnection) -> None:
        """Time the steps that only the window ending at midnight UTC runs (merging the recent
        part of the activity rollup into `contact_activity`), over what the windows so far left
        in the recent part, in a transaction rolled back after. The measured windows do not end
        at midnight, so this cost is not in `window_s`; once a day, it adds to one window."""
        steps = [
            step
            for step in sqlsteps.load_steps()
            if isinstance(step, sqlsteps.SqlStep) and step.when == "compact_activity"
        ]
        (recent_rows,) = con.execute("select count(*) from contact_activity_recent").fetchone()
        with warehouse.transaction(con, commit=False):
            clock = time.perf_counter()
            for step in steps:
                sqlsteps.run_step(DuckDBEngine(con), step, {"compact_activity": True})
            seconds = time.perf_counter() - clock
        self.result["compaction_s"] = round(seconds, 4)
        self.result["compaction_recent_rows"] = recent_rows
        self.result["compaction_s_per_window"] = round(seconds / 24, 4)

    def _report_state(self, con: duckdb.DuckDBPyConnection) -> None:
        (events,) = con.execute("select count(*) from activities").fetchone()
        (active,) = con.execute("select count(*) from active_enrollments").fetchone()
        (sends,) = con.execute("select count(*) from sends").fetchone()
        self.result["history_events"] = events
        self.result["active_enrollments"] = active
        self.result["sends_total"] = sends

    def _reference(self, hour_files: list[list[Path]]) -> None:
        """The engine and the row-at-a-time reference over the same windows, on a fresh
        warehouse: seconds of each, window by window, and whether their sends are the same.

        `reference_speedup` compares the windows after the first (the catch-up window, which
        rolls up all history once); `reference_speedup_total` all of them.
        """
        options, result = self.options, self.result
        count = max(2, options.reference_windows)
        con = warehouse.connect(self.root / "reference.duckdb")
        try:
            _ingest(con, self.manifest.files + [p for files in hour_files[:count] for p in files])
            first, last = self._window(0), self._window(count - 1)
            engine_seconds: list[float] = []
            run_windows(
                DuckDBEngine(con),
                last.end,
                first.start,
                journeys_dir=self.journeys_dir,
                on_window=lambda window: engine_seconds.append(window.seconds),
            )
            columns = reference.TABLES["sends"]
            engine_sends = reference.model.sort_rows(
                con.execute(f"select {', '.join(columns)} from sends").fetchall()
            )
            clock = time.perf_counter()
            inputs = reference.inputs_from_warehouse(con)
            load = max([a.load for a in inputs.activities] + [s.load for s in inputs.snapshots])
            read_s = time.perf_counter() - clock
        finally:
            con.close()
        journeys, problems = model.load_journeys(self.journeys_dir)
        if problems:
            raise RuntimeError(f"benchmark journeys do not validate: {problems[0]}")
        ends = [self._window(h).end for h in range(count)]
        reference_seconds: list[float] = []
        # One invocation per window (the same journey files each time), timed one by one.
        model_run = reference.model.Reference(inputs)
        for end in ends:
            clock = time.perf_counter()
            model_run.invoke(reference.Invocation((end,), tuple(journeys), load))
            reference_seconds.append(time.perf_counter() - clock)
        tables = model_run.tables()
        same = tables["sends"] == engine_sends
        result["reference_windows"] = count
        result["reference_engine_seconds"] = [round(x, 3) for x in engine_seconds]
        result["reference_seconds"] = [round(x, 3) for x in reference_seconds]
        result["reference_read_s"] = round(read_s, 3)
        result["reference_speedup_total"] = round(sum(reference_seconds) / sum(engine_seconds), 1)
        if len(reference_seconds) == len(engine_seconds):
            result["reference_speedup"] = round(
                sum(reference_seconds[1:]) / sum(engine_seconds[1:]), 1
            )
        else:
            result["reference_speedup"] = result["reference_speedup_total"]
        result["reference_sends"] = len(engine_sends)
        result["reference_sends_identical"] = same
        if not same:
            missing = len(set(tables["sends"]) - set(engine_sends))
            extra = len(set(engine_sends) - set(tables["sends"]))
            self.notes.append(
                f"sends differ from the reference: {missing} only in the reference, "
                f"{extra} only in the engine"
            )


# -- the lower bound --------------------------------------------------------------------------


class _LowerBound:
    """The bare DuckDB work no implementation can avoid for one window, hand-written:

    1. aggregate the window's events to (organization, activity type) through memberships;
    2. join that to the active enrollments and the journeys' activity triggers (entries,
       wait_for steps, attribution);
    3. evaluate each published journey's entry filter once over the organizations (the
       recurring and anniversary ones only when their instant falls in the window), in one
       pass with a count that several journeys repeat computed once (`fuse_branches`);
    4. expand the send steps due this window (as the engine found them) to their recipients,
       with addresses and the unsubscribed left out.

    It runs on its own connection to the same database, over plain tables of the state as of
    the window end (copied from the engine's views, untimed), right after the engine's window.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, journeys_dir: Path):
        self.con = con
        journeys, problems = model.load_journeys(journeys_dir)
        if problems:
            raise RuntimeError(f"benchmark journeys do not validate: {problems[0]}")
        self.journeys = [j for j in journeys if j.state == "published"]
        self.snapshot_key: tuple | None = None

    def __enter__(self) -> _LowerBound:
        self.lb = self.con.cursor()
        self.lb.execute("set TimeZone = 'UTC'")
        triggers = []
        for journey in self.journeys:
            if journey.entry.when == "activity":
                triggers.append((journey.id, journey.entry.activity, "entry"))
            for step in journey.steps:
                if step.WAITS_FOR_ACTIVITY:
                    triggers.append((journey.id, step.activity, "enrollment"))
            if journey.attribution is not None:
                triggers.append((journey.id, journey.attribution.activity, "enrollment"))
        self.lb.execute(
            "create or replace temp table lb_triggers "
            "(journey_id varchar, activity_type varchar, kind varchar)"
        )
        if triggers:
            self.lb.executemany("insert into lb_triggers values (?, ?, ?)", triggers)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.lb.close()
        for table in (
            "bench_orgs",
            "bench_memberships",
            "bench_contacts",
            "bench_unsubscribed",
            "bench_due_sends",
        ):
            self.con.execute(f"drop table if exists {table}")

    def _copy_state(self, window: Window) -> None:
        """Plain tables of the engine's state as of the window end (not timed)."""
        con = self.con
        key = tuple(
            con.execute(
                "select kind, max(snapshot_at) from snapshot_files where snapshot_at <= ? "
                "group by kind order by kind",
                [window.end],
            ).fetchall()
        )
        with warehouse.transaction(con):
            if key != self.snapshot_key:
                con.execute("create or replace table bench_orgs as select * from org_snapshot_at")
                con.execute(
                    "create or replace table bench_memberships as select * from memberships_at"
                )
                con.execute(
                    "create or replace table bench_contacts as "
                    "select contact_id, email, phone, sms_opt_in from contacts_at"
                )
                self.snapshot_key = key
        for name, table in (
            ("organizations_at", "bench_orgs"),
            ("memberships_at", "bench_memberships"),
            ("contacts_at", "bench_contacts"),
        ):
            self.lb.execute(f"create or replace temp view {name} as select * from {table}")
        con.execute(
            "create or replace table bench_unsubscribed as "
            "select contact_id from unsubscribed_contacts where audience = '*'"
        )
        con.execute(
            "create or replace table bench_due_sends as "
            "select i.enrollment_id, i.journey_id, i.org_id, i.step_id, s.channel "
            "from send_intents as i inner join journey_steps as s "
            "on s.journey_id = i.journey_id and s.journey_version = i.journey_version "
            "and s.step_id = i.step_id"
        )
        con.execute("checkpoint")

    def measure(self, window: Window) -> dict[str, float]:
        """Seconds of each part of the lower bound for `window` (run after the engine's)."""
        self._copy_state(window)
        load_seq = self.con.execute("select coalesce(max(load_seq), 0) from ingested_files")
        statements = self.statements(window, load_seq.fetchone()[0])
        parts: dict[str, float] = {}
        for part, sql in statements:
            clock = time.perf_counter()
            self.lb.execute(sql)
            parts[part] = parts.get(part, 0.0) + time.perf_counter() - clock
        return parts

    def statements(self, window: Window, load_seq: int) -> list[tuple[str, str]]:
        start, end = (sqlfiles.literal(t).sql("duckdb") for t in (window.start, window.end))
        rollup = f"""
            create or replace temp table lb_rollup as
            select m.org_id, a.activity_type, count(*) as events,
                min(a.occurred_at) as first_at, max(a.occurred_at) as last_at
            from activities as a
            inner join memberships_at as m on m.contact_id = a.contact_id
            where a.occurred_at >= {start} and a.occurred_at < {end}
            group by m.org_id, a.activity_type"""
        triggered = """
            create or replace temp table lb_triggered as
            select t.journey_id, r.org_id, cast(null as varchar) as enrollment_id
            from lb_rollup as r
            inner join lb_triggers as t on t.activity_type = r.activity_type and t.kind = 'entry'
            union all
            select e.journey_id, e.org_id, e.enrollment_id
            from active_enrollments as e
            inner join lb_triggers as t on t.journey_id = e.journey_id and t.kind = 'enrollment'
            inner join lb_rollup as r on r.org_id = e.org_id and r.activity_type = t.activity_type"""
        org_fields, _ = catalog.field_types(DuckDBEngine(self.con))
        levels = [self._entry_level(j, window, load_seq, org_fields) for j in self.journeys]
        levels = [q for q in levels if q is not None]
        # One pass over the organizations for all journeys, a count that several journeys
        # repeat computed once: the engine's fusion, so the bound charges no work it avoids.
        entries = "create or replace temp table lb_entries as " + (
            fuse_branches(parse(" union all ".join(levels))).sql("duckdb")
            if levels
            else "select cast(null as varchar) as journey_id, cast(null as varchar) as org_id"
        )
        recipients = """
            create or replace temp table lb_recipients as
            select d.enrollment_id, d.step_id, c.contact_id,
                case when d.channel = 'email' then c.email else c.phone end as address
            from bench_due_sends as d
            inner join memberships_at as m on m.org_id = d.org_id
            inner join contacts_at as c on c.contact_id = m.contact_id
            where c.contact_id not in (select contact_id from bench_unsubscribed)
                and (case when d.channel = 'email' then c.email
                    else case when c.sms_opt_in then c.phone end end) is not null"""
        return [
            ("rollup", rollup),
            ("triggers", triggered),
            ("entry_filters", entries),
            ("recipients", recipients),
        ]

    def _entry_level(
        self, journey: model.Journey, window: Window, load_seq: int, org_fields: dict
    ) -> str | None:
        """One journey's entry condition over the organizations, as SQL (or None)."""
        entry = journey.entry
        today = schedule.local_today(window.end, journey.timezone)
        scope = FilterScope("org", "o", org_fields, Clock(window.end, today, load_seq))
        condition = compile_filter(entry.filter, scope)
        source = "organizations_at as o"
        if entry.when == "tags":
            tags = tuple(model.TagCondition(tag=tag) for tag in entry.tags)
            combined = model.AllOf(items=tags) if entry.match == "all" else model.AnyOf(items=tags)
            condition = exp.and_(exp.paren(compile_filter(combined, scope)), exp.paren(condition))
        elif entry.when == "activity":
            if entry.filter is None:
                return None  # the trigger join (part 2) is all there is
            source = (
                "organizations_at as o inner join lb_triggered as t on t.org_id = o.org_id "
                f"and t.journey_id = {exp.Literal.string(journey.id).sql('duckdb')}"
            )
        elif entry.when == "approaching_date":
            field_date = exp.cast(
                exp.column(exp.to_identifier(entry.field, quoted=True), "o"),
                exp.DataType.Type.DATE,
            )
            upcoming = exp.Between(
                this=field_date,
                low=_date_literal(today),
                high=_date_literal(today + timedelta(days=int(entry.days_before))),
            )
            condition = exp.and_(upcoming, exp.paren(condition))
        elif entry.when == "anniversary":
            days = schedule.anniversary_dates(
                window.start, window.end, journey.timezone, schedule.parse_clock(entry.at)
            )
            if not days:
                return None
            column = exp.column(exp.to_identifier(entry.field, quoted=True), "o")
            same_day = exp.or_(
                *[
                    exp.and_(
                        exp.EQ(
                            this=exp.func("month", column.copy()),
                            expression=exp.Literal.number(d.month),
                        ),
                        exp.EQ(
                            this=exp.func("day", column.copy()),
                            expression=exp.Literal.number(d.day),
                        ),
                    )
                    for d in days
                ]
            )
            condition = exp.and_(exp.paren(same_day), exp.paren(condition))
        elif entry.when == "recurring":
            fires = schedule.recurring_fires(
                window.start,
                window.end,
                journey.timezone,
                entry.every,
                schedule.parse_clock(entry.at),
                tuple(entry.on or ()),
                entry.day,
            )
            if not fires:
                return None
        journey_id = exp.Literal.string(journey.id).sql("duckdb")
        return (
            f"select {journey_id} as journey_id, o.org_id from {source} "
            f"where {condition.sql('duckdb')}"
        )


def _date_literal(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


# -- the journeys -----------------------------------------------------------------------------

_WEEKDAYS = schedule.WEEKDAYS
_ROLE_SETS = (
    ["owner", "admin"],
    ["marketing", "executive"],
    ["billing", "owner"],
    ["engineer", "admin", "support"],
)


def write_journeys(folder: Path, count: int, end: datetime | None = None) -> list[Path]:
    """Write `count` published benchmark journeys as YAML files into `folder` (emptied first).

    They cycle through ten shapes that together cover every entry kind (filter, activity,
    tags, approaching_date, anniversary, recurring by day, week and month), every frequency,
    exits by filter and by conversion, attribution, audiences, per-step recipients, and steps
    of every kind: sends, delays (durations and local times), wait_for, conditions, splits,
    tag and field updates, exit. Later rounds vary the parameters (thresholds, hours, days).
    """
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.width = 100
    yaml.sort_base_mapping_type_on_output = False  # keep the written order
    paths = []
    for index in range(count):
        definition = journey_definition(index)
        path = folder / f"{definition['id']}.yaml"
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(definition, handle)
        paths.append(path)
    return paths


def journey_definition(index: int) -> dict[str, Any]:
    """The `index`-th benchmark journey (see `write_journeys`)."""
    shape, round_ = index % 10, index // 10
    hour = f"{(3 + 5 * index) % 24:02d}:00"
    base = {"id": f"bench-{index:03d}", "name": f"Benchmark journey {index}", "version": 1}
    base["state"] = "published"
    plans = ["starter", "pro", "enterprise"]
    # B2B journeys address a few roles, not every member of a large account.
    roles = _ROLE_SETS[index % len(_ROLE_SETS)]
    to_roles = {"filter": {"field": "role", "op": "in", "value": roles}}
    if shape == 0:  # filter entry (edge), once_at_a_time, exit filter, condition on activity
        return base | {
            "entry": {
                "when": "filter",
                "filter": {
                    "all": [
                        {"field": "status", "op": "eq", "value": "trial"},
                        {"field": "plan", "op": "ne", "value": plans[round_ % 3]},
                    ]
                },
            },
            "frequency": "once_at_a_time",
            "exit": {"filter": {"field": "status", "op": "eq", "value": "churned"}},
            "send_to": to_roles,
            "steps": [
                {"id": "welcome", "send_email": {"template": f"welcome-{index}"}},
                {"id": "wait", "delay": {"days": 2 + round_}},
                {
                    "id": "check",
                    "condition": [
                        {"if": {"activity": "email_opened", "since": "entry"}, "goto": "engaged"},
                        {"else": "nudge"},
                    ],
                },
                {"id": "nudge", "send_sms": {"template": f"nudge-{index}"}, "next": "end"},
                {"id": "engaged", "tag_org": {"add": ["engaged"]}},
            ],
        }
    if shape == 1:  # activity entry, every_time, wait_for, attribution, audience
        if round_ % 2:
            entry: dict[str, Any] = {
                "when": "activity",
                "activity": "form_submitted",
                "where": {"form": "contact-us"},
            }
        else:
            entry = {"when": "activity", "activity": "demo_requested"}
        return base | {
            "entry": entry,
            "frequency": "every_time" if round_ % 2 else "once_at_a_time",
            "send_to": {
                "filter": {
                    "all": [{"field": "email", "op": "is_set"}, to_roles["filter"]],
                }
            },
            "unsubscribe": {"audience": "product"},
            "attribution": {"activity": "purchase", "within_days": 14},
            "steps": [
                {"id": "thanks", "send_email": {"template": f"thanks-{index}"}},
                {
                    "id": "wait-click",
                    "wait_for": {"activity": "email_clicked", "timeout": {"hours": 24}},
                    "then": "tag",
                    "else": "nudge",
                },
                {"id": "nudge", "send_email": {"template": f"nudge-{index}"}, "next": "end"},
                {"id": "tag", "tag_org": {"add": ["engaged"], "remove": ["churn-risk"]}},
            ],
        }
    if shape == 2:  # tags entry (edge), once, split
        tags = [["vip", "partner"], ["enterprise"], ["churn-risk", "trial"]][round_ % 3]
        return base | {
            "entry": {"when": "tags", "tags": tags, "match": "any"},
            "frequency": "once",
            "send_to": to_roles,
            "steps": [
                {
                    "id": "pick",
                    "split": [
                        {"percent": 50, "goto": "letter"},
                        {"percent": 50, "goto": "text"},
                    ],
                },
                {"id": "letter", "send_email": {"template": f"letter-{index}"}, "next": "end"},
                {"id": "text", "send_sms": {"template": f"text-{index}"}},
            ],
        }
    if shape == 3:  # approaching_date, exit on filter and conversion, update_org
        return base | {
            "entry": {
                "when": "approaching_date",
                "field": "renewal_date",
                "days_before": 30 - 5 * (round_ % 4),
                "filter": {"field": "plan", "op": "ne", "value": "free"},
            },
            "frequency": "once_at_a_time",
            "exit": {
                "filter": {"field": "status", "op": "eq", "value": "renewed"},
                "on_conversion": True,
            },
            "attribution": {"activity": "renewal_paid", "within_days": 30},
            "send_to": to_roles,
            "steps": [
                {"id": "notice", "send_email": {"template": f"renewal-{index}"}},
                {"id": "wait", "delay": {"days": 7}},
                {
                    "id": "check",
                    "condition": [
                        {"if": {"activity": "email_opened", "since": "entry"}, "goto": "warm"},
                        {"else": "sms"},
                    ],
                },
                {"id": "sms", "send_sms": {"template": f"renewal-sms-{index}"}, "next": "end"},
                {"id": "warm", "update_org": {"field": "engagement", "value": "warm"}},
            ],
        }
    if shape == 4:  # anniversary in a local time zone, every_time
        return base | {
            "timezone": ["America/New_York", "Europe/Berlin", "Asia/Tokyo"][round_ % 3],
            "entry": {"when": "anniversary", "field": "signup_date", "at": hour},
            "frequency": "every_time",
            "send_to": to_roles,
            "steps": [{"id": "congrats", "send_email": {"template": f"anniversary-{index}"}}],
        }
    if shape == 5:  # recurring weekly with a filter, audience unsubscribe
        return base | {
            "entry": {
                "when": "recurring",
                "every": "week",
                "on": [_WEEKDAYS[(6 + round_) % 7]],
                "at": hour,
                "filter": {
                    "all": [
                        {"field": "tier", "op": "in", "value": ["gold", "platinum"]},
                        {"field": "status", "op": "eq", "value": "active"},
                    ]
                },
            },
            "frequency": "every_time",
            "send_to": {"filter": {"tag": "newsletter"}},
            "unsubscribe": {"audience": "newsletter"},
            "steps": [{"id": "digest", "send_email": {"template": f"digest-{index}"}}],
        }
    if shape == 6:  # filter on recent organization activity, per-step recipients, exit step
        return base | {
            "entry": {
                "when": "filter",
                "filter": {
                    "all": [
                        {"activity": "page_viewed", "min_count": 10 + 5 * round_, "within_days": 7},
                        {"field": "plan", "op": "ne", "value": "free"},
                    ]
                },
            },
            "frequency": "once_at_a_time",
            "steps": [
                {
                    "id": "tips",
                    "send_email": {"template": f"tips-{index}"},
                    "send_to": {"filter": {"field": "lead_score", "op": "gte", "value": 40}},
                },
                {"id": "wait", "delay": {"days": 14}},
                {"id": "done", "exit": {}},
            ],
        }
    if shape == 7:  # recurring daily on a tag, delay until a local time
        return base | {
            "timezone": "Europe/Berlin",
            "entry": {
                "when": "recurring",
                "every": "day",
                "at": hour,
                "filter": {"tag": "churn-risk"},
            },
            "frequency": "every_time",
            "send_to": to_roles,
            "steps": [
                {"id": "check-in", "send_email": {"template": f"check-in-{index}"}},
                {"id": "wait", "delay": {"until": "10:00", "weekdays": ["tuesday", "thursday"]}},
                {"id": "call", "send_sms": {"template": f"call-{index}"}},
            ],
        }
    if shape == 8:  # recurring monthly, once
        return base | {
            "entry": {
                "when": "recurring",
                "every": "month",
                "day": 1 + round_,
                "at": hour,
                "filter": {"field": "seats", "op": "gte", "value": 100},
            },
            "frequency": "once",
            "send_to": to_roles,
            "steps": [{"id": "report", "send_email": {"template": f"report-{index}"}}],
        }
    # shape 9: activity entry (renewals, one webinar), once_at_a_time, a field update, a delay
    entry = {"when": "activity", "activity": "renewal_paid"}
    if round_ % 2:
        entry = {
            "when": "activity",
            "activity": "webinar_attended",
            "where": {"webinar": "q4-roadmap"},
        }
    return base | {
        "entry": entry,
        "frequency": "once_at_a_time",
        "send_to": to_roles,
        "steps": [
            {"id": "mark", "update_org": {"field": "last_touch", "value": f"journey-{index}"}},
            {"id": "wait", "delay": {"hours": 6}},
            {"id": "thanks", "send_email": {"template": f"thanks-{index}"}},
            {"id": "done", "exit": {}},
        ],
    }


# -- sweeps and charts ------------------------------------------------------------------------

#: What the charts vary, and the values tried (factors of the scale's own figure).
SWEEPS = {
    "history": (0.125, 0.25, 0.5, 1.0),  # share of the history's days kept
    "journeys": (5, 10, 25, 50, 100),  # number of benchmark journeys
    "events_per_hour": (0.25, 0.5, 1.0, 2.0, 4.0),  # factor of the scale's events an hour
}


def run_sweeps(
    scale: str,
    *,
    journeys: int = 50,
    windows: int = 3,
    seed: int = 7,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Window time against history length, number of journeys and events per hour.

    For each curve, one warehouse per point, all fed the same way and run in lockstep (a
    catch-up window, one warm-up window, then `windows` measured ones, window by window
    across the points), so the points of a curve share the machine's moment.
    """
    step = progress or (lambda _phase: None)
    size = sample.SCALES[scale]
    curves: dict[str, Any] = {"scale": scale, "journey_count": journeys, "windows": windows}
    with _workdir(workdir) as root:
        step("generate data")
        manifest = sample.write_sample(root / "history", size, seed, formats="parquet")
        snapshots = [p for p in manifest.files if not p.name.startswith("activities")]
        days = [p for p in manifest.files if p.name.startswith("activities")]
        hours = 2 + windows
        hour_starts = [manifest.end + h * HOUR for h in range(hours)]
        default_dir = root / "journeys-default"
        write_journeys(default_dir, journeys, manifest.end)
        default_hours = [
            [sample.write_hour(root / "hours", size, seed, start)] for start in hour_starts
        ]

        def history_point(share: float) -> dict[str, Any]:
            kept = days[len(days) - max(1, round(len(days) * share)) :]
            return {"files": snapshots + kept, "journeys": default_dir, "hours": default_hours}

        def journeys_point(count: int) -> dict[str, Any]:
            folder = root / f"journeys-{count}"
            write_journeys(folder, int(count), manifest.end)
            return {"files": manifest.files, "journeys": folder, "hours": default_hours}

        def rate_point(factor: float) -> dict[str, Any]:
            rate = max(1, round(size.events_per_hour * factor))
            scaled = sample.SampleSize(
                f"{scale}x{factor:g}",
                size.organizations,
                size.contacts,
                size.events,
                events_per_hour=rate,
                days=size.days,
            )
            folder = root / f"hours-{factor:g}"
            files = [[sample.write_hour(folder, scaled, seed, start)] for start in hour_starts]
            return {"files": manifest.files, "journeys": default_dir, "hours": files, "rate": rate}

        makers = {
            "history": history_point,
            "journeys": journeys_point,
            "events_per_hour": rate_point,
        }
        for curve, values in SWEEPS.items():
            step(f"curve: window time against {curve.replace('_', ' ')}")
            points = [makers[curve](value) for value in values]
            curves[curve] = _lockstep(root / curve, points, manifest.end, windows)
            for value, point in zip(values, curves[curve], strict=True):
                point["value"] = value
    return curves


def _lockstep(
    folder: Path, points: list[dict[str, Any]], first_start: datetime, windows: int
) -> list[dict[str, Any]]:
    """Ingest and run each point's warehouse hour by hour, the points side by side."""
    folder.mkdir(parents=True, exist_ok=True)
    cons = []
    share = _memory_limit_mb() // len(points)
    results: list[dict[str, Any]] = [{"window_seconds": []} for _ in points]
    try:
        for index, point in enumerate(points):
            con = warehouse.connect(folder / f"point-{index}.duckdb")
            con.execute(f"set memory_limit = '{share}MB'")
            _ingest(con, point["files"])
            (results[index]["history_events"],) = con.execute(
                "select count(*) from activities"
            ).fetchone()
            cons.append(con)
        for hour in range(len(points[0]["hours"])):
            end = first_start + (hour + 1) * HOUR
            for index, point in enumerate(points):
                _ingest(cons[index], point["hours"][hour])
                report = run_windows(
                    DuckDBEngine(cons[index]), end, end - HOUR, journeys_dir=point["journeys"]
                )
                if hour >= 2:
                    results[index]["window_seconds"].append(round(report.windows[0].seconds, 4))
    finally:
        for con in cons:
            con.close()
    for result, point in zip(results, points, strict=True):
        result["window_s"] = round(statistics.median(result["window_seconds"]), 4)
        result["events_per_hour"] = point.get("rate")
    return results


def write_charts(curves: dict[str, Any], folder: Path) -> list[Path]:
    """PNG charts of the sweeps (matplotlib, Agg backend) into `folder`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scale = curves["scale"]
    charts = {
        "history": (
            "history_events",
            "events in history",
            f"Window time against history length (scale {scale}, {curves['journey_count']} journeys)",
        ),
        "journeys": (
            "value",
            "published journeys",
            f"Window time against number of journeys (scale {scale})",
        ),
        "events_per_hour": (
            "events_per_hour",
            "new events per hour",
            f"Window time against events per hour (scale {scale}, {curves['journey_count']} journeys)",
        ),
    }
    written = []
    for curve, (x_key, x_label, title) in charts.items():
        points = curves.get(curve)
        if not points:
            continue
        figure, axes = pyplot.subplots(figsize=(7, 4.2), dpi=110)
        xs = [point[x_key] for point in points]
        medians = [point["window_s"] for point in points]
        lows = [min(point["window_seconds"]) for point in points]
        highs = [max(point["window_seconds"]) for point in points]
        axes.fill_between(xs, lows, highs, alpha=0.2, label="min..max")
        axes.plot(xs, medians, marker="o", label="median window")
        axes.set_xlabel(x_label)
        axes.set_ylabel("seconds per window")
        axes.set_ylim(bottom=0)
        axes.set_title(title, fontsize=10)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        path = folder / f"bench-window-vs-{curve.replace('_', '-')}.png"
        figure.savefig(path)
        pyplot.close(figure)
        written.append(path)
    return written


# -- helpers ----------------------------------------------------------------------------------


def _wants_reference(options: BenchOptions) -> bool:
    return options.reference if options.reference is not None else options.scale in ("xs", "s")


def _ingest(con: duckdb.DuckDBPyConnection, files: list[Path]) -> tuple[int, float]:
    """Ingest files; (rows read, seconds). Rejects would make the figures meaningless."""
    clock = time.perf_counter()
    report = ingest_paths(con, files)
    seconds = time.perf_counter() - clock
    if not report.ok:
        raise RuntimeError(f"benchmark input rejected: {[f.message for f in report.files]}")
    return sum(f.rows_total for f in report.files), seconds


@contextlib.contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given = Path(given)
        if given.exists():
            shutil.rmtree(given)
        given.mkdir(parents=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="orgjourney-bench-") as folder:
        yield Path(folder)


class _RssSampler:
    """Samples the process's resident memory every 50 ms; peaks per phase (`mark`)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peaks: dict[str, int] = {}
        self.current = 0
        self.started = time.perf_counter()

    def __enter__(self) -> _RssSampler:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()

    def _sample(self) -> None:
        while not self.stop.wait(0.05):
            self.current = max(self.current, self.process.memory_info().rss)

    def mark(self, phase: str) -> None:
        """End a phase: its peak is the largest sample since the previous mark."""
        self.current = max(self.current, self.process.memory_info().rss)
        self.peaks[phase], self.current = self.current, 0

    def peak_mb(self, phase: str) -> int | None:
        peak = self.peaks.get(phase)
        return round(peak / 2**20) if peak else None

    def by_phase(self) -> dict[str, int]:
        return {phase: round(peak / 2**20) for phase, peak in self.peaks.items()}

    def process_peak_mb(self) -> int:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _memory_limit_mb() -> int:
    """The warehouse's configured DuckDB memory limit, in MB."""
    with duckdb.connect(config={"memory_limit": warehouse._config()["memory_limit"]}) as con:
        (text,) = con.execute("select current_setting('memory_limit')").fetchone()
    number, unit = text.split()
    factor = {"KiB": 2**-10, "MiB": 1, "GiB": 2**10, "TiB": 2**20}.get(unit, 1)
    return max(1, round(float(number) * factor))


def _median_phases(windows: list[WindowResult]) -> dict[str, float]:
    """Each step's median seconds over the windows, the slowest first."""
    names = {name for window in windows for name in window.step_seconds}
    phases = {
        name: round(statistics.median(w.step_seconds.get(name, 0.0) for w in windows), 4)
        for name in names
    }
    return dict(sorted(phases.items(), key=lambda kv: -kv[1]))


def _targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each issue target: its bound, the value here, and whether it holds (None: not measured
    or another scale)."""
    targets = {}
    for key, op, bound, scale in TARGETS:
        value = result.get(key)
        applies = result["scale"] == scale
        met = None
        if value is not None and applies:
            met = value <= bound if op == "<=" else value >= bound
        targets[key] = {"target": f"{op} {bound:g} at scale {scale}", "value": value, "met": met}
    return targets


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "duckdb": duckdb.__version__,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
