"""Hourly windows: plan which windows to run, and run each one atomically with its ledger row.

A window `[start, end)` decides everything as of its end. Its work is the ordered SQL step
files of `sql/window/` — load the window's activity and roll it up, apply unsubscribes,
exits, entries, the step walk, sends, and the new state — executed by the runner in
`sqlsteps`, inside one transaction that also appends the window's row to `runs`. The
journeys (read once per invocation) reach the SQL as small tables and compiled predicates.
A crash leaves the warehouse as it was before the window; a window already in `runs` is
never processed again.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import duckdb
from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline import sqlsteps
from orgjourney_pipeline.journeys import compile as journey_compile
from orgjourney_pipeline.journeys import registry
from orgjourney_pipeline.warehouse import table_columns, transaction, utc_now

HOUR = timedelta(hours=1)

# Test hook: `raise:<step>` or `kill:<step>` stops a window right after that step, so the
# tests can prove that an interrupted window leaves nothing behind.
FAULT_ENV = "ORGJOURNEY_FAULT"


@dataclass(frozen=True)
class Window:
    """One hourly window `[start, end)`, aligned to UTC hours."""

    start: datetime
    end: datetime


@dataclass
class WindowResult:
    """What one window did: rows written per step and how long it took."""

    window: Window
    counts: dict[str, int]
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    journeys: dict[str, tuple[int, int, int]] = field(
        default_factory=dict
    )  # entered, sent, suppressed


@dataclass
class RunReport:
    """What a `run` invocation did."""

    windows: list[WindowResult]
    notes: list[str]
    dry_run: bool = False
    catalog: registry.JourneyCatalog | None = None

    @property
    def statements_per_window(self) -> int:
        return len(self.windows[0].step_seconds) if self.windows else 0


@dataclass
class WindowPlan:
    """The windows a run will process, and what it has to tell the user about them."""

    windows: list[Window]
    notes: list[str]


class WindowFault(RuntimeError):
    """Raised by the fault-injection hook (tests only)."""


def floor_hour(instant: datetime) -> datetime:
    """The UTC hour that contains `instant`."""
    return instant.replace(minute=0, second=0, microsecond=0)


def plan_windows(
    con: duckdb.DuckDBPyConnection, through: datetime, start: datetime | None = None
) -> WindowPlan:
    """Every unprocessed window ending at or before `through`.

    The first starts right after the last processed window; on a warehouse with none, at
    `start` (floored to the hour), or else it is the single window ending at `through`.
    """
    last_end = con.execute("select max(window_end) from runs").fetchone()[0]
    last_window_end = floor_hour(through)
    notes: list[str] = []
    if last_end is not None:
        first_start = last_end
        if start is not None and floor_hour(start) != last_end:
            notes.append(
                f"--from {start:%Y-%m-%dT%H:%M} ignored: continuing after the last processed "
                f"window, which ended at {last_end:%Y-%m-%dT%H:%M}"
            )
    elif start is not None:
        first_start = floor_hour(start)
        if first_start != start:
            notes.append(f"--from {start:%Y-%m-%dT%H:%M} floored to the hour {first_start:%H:%M}")
    else:
        first_start = last_window_end - HOUR
    windows = []
    cursor = first_start
    while cursor + HOUR <= last_window_end:
        windows.append(Window(cursor, cursor + HOUR))
        cursor += HOUR
    if not windows:
        if last_end is not None and last_end >= last_window_end:
            notes.append(
                f"nothing to do: every window through {last_end:%Y-%m-%dT%H:%M} "
                "is already processed"
            )
        else:
            notes.append(f"nothing to do: no complete window ends by {through:%Y-%m-%dT%H:%M}")
    return WindowPlan(windows, notes)


def run_windows(
    con: duckdb.DuckDBPyConnection,
    through: datetime,
    start: datetime | None = None,
    *,
    journeys_dir: Path | None = None,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every planned window in order, each in its own transaction.

    The journey files are read once, before any window; a published version whose definition
    changed raises `registry.PublishedVersionChanged` and no window runs. A dry run computes
    every window inside one transaction and rolls it back at the end.
    """
    plan = plan_windows(con, through, start)
    catalog = registry.load_catalog(con, journeys_dir or Path("/nonexistent"))
    notes = plan.notes + [f"journey stopped: {problem}" for problem in catalog.errors]
    steps = sqlsteps.load_steps()
    load_seq = con.execute("select coalesce(max(load_seq), 0) from ingested_files").fetchone()[0]
    results: list[WindowResult] = []
    if dry_run:
        with transaction(con, commit=False):
            for window in plan.windows:
                results.append(run_window(con, window, steps, load_seq, catalog))
                if on_window:
                    on_window(results[-1])
        return RunReport(results, notes, dry_run=True, catalog=catalog)
    for window in plan.windows:
        with transaction(con):
            results.append(run_window(con, window, steps, load_seq, catalog))
        if on_window:
            on_window(results[-1])
    return RunReport(results, notes, catalog=catalog)


def run_window(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    steps: list[sqlsteps.SqlStep | sqlsteps.LoopGroup],
    load_seq: int,
    catalog: registry.JourneyCatalog,
) -> WindowResult:
    """Run every step of one window and append its `runs` row (the caller owns the transaction)."""
    started_at, clock = utc_now(), time.perf_counter()
    params = window_parameters(con, window, load_seq)
    registry.register(con, catalog, window.end)
    # Each compiled relation becomes SQL text once per window, however many steps use it; the
    # relations are built fresh for this window, so the generator need not copy them first.
    duckdb_dialect = Dialect.get_or_raise("duckdb")
    compiled = {
        name: duckdb_dialect.generate(query, copy=False)
        for name, query in prepare_journeys(con, catalog, window, load_seq).items()
    }
    counts: dict[str, int] = {}
    step_seconds: dict[str, float] = {}

    def run(step: sqlsteps.SqlStep) -> int:
        step_clock = time.perf_counter()
        rows = sqlsteps.run_step(con, step, params, compiled)
        counts[step.name] = counts.get(step.name, 0) + rows
        step_seconds[step.name] = (
            step_seconds.get(step.name, 0.0) + time.perf_counter() - step_clock
        )
        _maybe_fault(step.name)
        return rows

    for entry in steps:
        if isinstance(entry, sqlsteps.SqlStep):
            run(entry)
            continue
        # A loop group (the step walk): each pass moves every enrollment one step; without a
        # loop free of waits (validation forbids one), a walk ends within as many passes as
        # the longest journey has steps.
        limit = 2 + max((len(j.steps) for j in catalog.versions.values()), default=0)
        for walk_pass in range(1, limit + 1):
            params["walk_pass"] = walk_pass
            acting = [run(step) for step in entry.steps][0]
            if acting == 0:
                break
        else:
            raise RuntimeError(f"the step walk did not settle within {limit} passes")
    journeys = {
        journey_id: (entered, sent, suppressed)
        for journey_id, entered, sent, suppressed in con.execute(WINDOW_JOURNEYS_SQL).fetchall()
    }
    con.execute(
        "insert into runs (window_start, window_end, started_at, finished_at, status,"
        " load_seq_through, counts) values (?, ?, ?, ?, 'ok', ?, ?)",
        [window.start, window.end, started_at, utc_now(), load_seq, json.dumps(counts)],
    )
    return WindowResult(window, counts, time.perf_counter() - clock, step_seconds, journeys)


WINDOW_JOURNEYS_SQL = """
select journey_id,
    count(*) filter (where kind = 'entered'),
    count(*) filter (where kind = 'sent'),
    count(*) filter (where kind = 'suppressed')
from (
    select journey_id, 'entered' as kind from new_enrollments
    union all
    select journey_id, case when reason is null then 'sent' else 'suppressed' end from recipients
)
group by journey_id
order by journey_id
"""


def window_parameters(
    con: duckdb.DuckDBPyConnection, window: Window, load_seq: int
) -> dict[str, object]:
    """The values every window step may use.

    `prev_load_seq` is what the previous run had loaded (-1 before the first run, so the
    first window rolls up all history); events loaded after it are late arrivals.
    """
    # One statement, read to its end: the window's next statement may register an Arrow table,
    # which DuckDB refuses while a result is left unread.
    [(previous, first_start)] = con.execute(
        "select (select load_seq_through from runs where window_end = ?),"
        " (select min(window_start) from runs)",
        [window.start],
    ).fetchall()
    return {
        "window_start": window.start,
        "window_end": window.end,
        "window_key": window.end.strftime("%Y-%m-%dT%H:%MZ"),
        "load_seq": load_seq,
        "prev_load_seq": previous if previous is not None else -1,
        "first_window_start": first_start or window.start,
        "walk_pass": 0,  # the pass of the step walk (set by the loop)
        # The activity rollup's recent part is merged in once a day, and in the first window.
        "compact_activity": previous is None or window.end.time() == dt_time(0),
    }


def prepare_journeys(
    con: duckdb.DuckDBPyConnection,
    catalog: registry.JourneyCatalog,
    window: Window,
    load_seq: int,
) -> dict:
    """Load the journeys' data tables for this window; return the compiled relations."""
    org_fields, contact_fields = registry.field_types(con)
    updated_fields = {
        step.field
        for journey in catalog.versions.values()
        for step in journey.steps
        if isinstance(step, journey_compile.model.UpdateOrg)
    }
    updated_fields |= {
        name
        for (name,) in con.execute(
            "select distinct name from org_updates where kind = 'field'"
        ).fetchall()
    }
    for name in updated_fields:
        org_fields.setdefault(name, "text")
    prepared = journey_compile.compile_window(
        catalog.run_journeys,
        catalog.versions,
        window_start=window.start,
        window_end=window.end,
        load_seq=load_seq,
        org_fields=org_fields,
        contact_fields=contact_fields,
    )
    for name, table in prepared.tables.items():
        con.register("_journey_rows", table)
        con.execute(f"create or replace temp table {name} as select * from _journey_rows")
        con.unregister("_journey_rows")
    snapshot_columns = [
        column
        for column in table_columns(con, "organization_versions")
        if column not in ("valid_from", "valid_to", "row_hash")
    ]
    prepared.relations["organizations_at"] = journey_compile.organizations_at(
        snapshot_columns, org_fields, updated_fields, window.end
    )
    return prepared.relations


def _maybe_fault(step_name: str) -> None:
    fault = os.environ.get(FAULT_ENV, "")
    action, _, where = fault.partition(":")
    if where != step_name:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise WindowFault(f"injected fault after step {step_name}")
