"""`orgjourney backtest`: one journey file run by the engine itself over past windows.

The warehouse is attached read-only beside a scratch database (a temporary DuckDB file with
the same schema); its inputs — the file ledger, the activities, the snapshot history, the
custom fields — are copied in, with what other journeys did that the one journey's run reads
(their organization updates, which filters see, and their stored versions, whose unsubscribe
scopes apply) but nothing of the journey's own: it runs as if first published at `--from`,
with no earlier enrollments of it. Each window then runs through the same step files as
`run`, for that journey alone, and sees what the live run of that window had loaded (the
`runs.load_seq_through` of the warehouse; the last load for a window never processed), so a
late activity is late in the backtest too. The warehouse file is never written.

Other journeys do not run, but their live sends are appended window by window and count
toward the delivery caps as sends already made (docs/semantics.md, "Backtests and diffs").
"""

from __future__ import annotations

import bisect
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import contract, journeys, sqlfiles, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.journeys.delivery_file import load_delivery
from orgjourney_pipeline.journeys.tables import RunJourney
from orgjourney_pipeline.timeutil import json_instant
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.plan import HOUR, Window, floor_hour
from orgjourney_pipeline.windows.preflight import check_journeys
from orgjourney_pipeline.windows.window import KEPT_STATE, run_window

# The warehouse's inputs, copied whole into the scratch database.
INPUT_TABLES = (
    "ingested_files",
    "snapshot_files",
    "custom_fields",
    "activities",
    "organization_versions",
    "contact_versions",
    "membership_versions",
    "subscription_versions",
)
# Other journeys' rows the backtested journey's run reads: organization updates (filters see
# them), stored versions (their unsubscribe scopes), and sends (the caps count them), which
# reach `sends` window by window (`sql/backtest/other_sends.sql`).
OTHER_JOURNEYS_TABLES = {
    "org_updates": "org_updates",
    "journeys": "journeys",
    "backtest_other_sends": "sends",
}
# The would-be tables a backtest returns (and `--out` writes as Parquet), the journey's rows.
OUTPUT_TABLES = (
    "enrollments",
    "enrollment_steps",
    "sends",
    "suppressions",
    "org_updates",
    "conversions",
)
# Windows whose trigger events one statement joins to the memberships
# (`sql/backtest/trigger_activity_orgs.sql`): a day of hourly windows, one scan of the
# membership history a day instead of three or four a window (one per reader of the events).
TRIGGER_BATCH = 24
DAILY_COUNTS = ("entered", "sent", "suppressed", "exited", "completed", "converted")
FUNNEL_COUNTS = ("reached", "sent", "suppressed", "converted")


class BacktestError(ValueError):
    """A journey file or period a backtest cannot run."""


@dataclass
class BacktestResult:
    """What one journey would have done over a period: per day, its funnel, its tables."""

    journey_id: str
    version: int
    start: datetime
    through: datetime
    windows: int
    days: list[dict] = field(default_factory=list)
    funnel: list[dict] = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    #: Seconds spent copying the warehouse's inputs, and running the windows.
    seconds: dict[str, float] = field(default_factory=dict)
    #: Each window's own seconds, by the window's start.
    window_seconds: dict[datetime, float] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        return {key: sum(day[key] for day in self.days) for key in DAILY_COUNTS}

    def document(self) -> dict:
        """The `backtest --json` document (docs/schemas/backtest.schema.json)."""
        return {
            "journey_id": self.journey_id,
            "version": self.version,
            "from": json_instant(self.start),
            "through": json_instant(self.through),
            "windows": self.windows,
            "totals": self.totals(),
            "days": [{**day, "day": day["day"].isoformat()} for day in self.days],
            "funnel": self.funnel,
        }

    def write_tables(self, folder: Path) -> list[Path]:
        """Each would-be table as `folder/<table>.parquet`; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, table in self.tables.items():
            path = folder / f"{name}.parquet"
            pq.write_table(table, path)
            paths.append(path)
        return paths


def read_journey_file(path: Path) -> journeys.Journey:
    """The journey of one file; raises `BacktestError` with its `file:line` problems."""
    journey, problems = journeys.load_journey(path)
    if journey is None or journeys.has_errors(problems):
        errors = [str(p) for p in problems if p.severity == journeys.ERROR]
        raise BacktestError("\n".join(errors) or f"{path}: not a journey")
    return journey


def backtest(
    source: Path,
    journey: journeys.Journey,
    start: datetime,
    through: datetime,
    journeys_dir: Path,
) -> BacktestResult:
    """Run `journey`, as published from `start`, over every window ending by `through`.

    `journeys_dir` is the warehouse's journeys folder: its `delivery.yaml` applies. Raises
    `BacktestError` for an empty period or a journey the warehouse's fields cannot compile.
    """
    windows = _windows(start, through)
    with tempfile.TemporaryDirectory(prefix="orgjourney-backtest-") as scratch_dir:
        con = warehouse.connect(Path(scratch_dir) / "backtest.duckdb")
        con.execute(sqlfiles.load("backtest/scratch_settings.sql").sql())
        try:
            engine = DuckDBEngine(con)
            clock = time.perf_counter()
            load_seqs = _copy_inputs(con, Path(source), journey.id, windows)
            copied = time.perf_counter()
            catalog = _catalog(engine, journey, journeys_dir)
            first_seq = load_seqs(windows[0])
            problems = check_journeys(engine, catalog, windows[0], first_seq)
            if problems:
                raise BacktestError("\n".join(str(p) for p in problems))
            steps = window_steps.load_steps()
            other_sends = sqlfiles.load("backtest/other_sends.sql")
            changes = StateChanges(engine)
            batches = TriggerBatches(engine, windows, load_seqs)
            window_seconds: dict[datetime, float] = {}
            # The other journeys' sends before the period count toward its first caps.
            before = Window(datetime.min, windows[0].start)
            for window in [before, *windows]:
                # A transaction a window, as `run` has: one around them all would hold every
                # window's replaced tables until its end (5.5 GB at 120 windows of scale m,
                # against 2.3 GB so; without checkpoints, `scratch_settings.sql`, as fast).
                with engine.transaction():
                    params = {"window_start": window.start, "window_end": window.end}
                    engine.write(other_sends.sql(**params), "sends", "append")
                    if window is not before:
                        later = window is not windows[0]  # the first rolls up all history
                        kept, touched = changes.unchanged(window) if later else (set(), False)
                        batches.prepare(window)
                        done = run_window(
                            engine,
                            window,
                            steps,
                            load_seqs(window),
                            catalog,
                            frozenset(kept),
                            touched,
                            batched=True,
                        )
                        window_seconds[window.start] = done.seconds
            result = _result(engine, journey, windows)
            result.window_seconds = window_seconds
            result.seconds = {
                "copy": round(copied - clock, 4),
                "windows": round(time.perf_counter() - copied, 4),
            }
            return result
        finally:
            con.close()


class StateChanges:
    """The instants at which the CRM state the window's state steps read changes, read once:
    a backtest's scratch inputs do not change while its windows run, so a state step whose
    state has no instant in a window's (start, end] keeps the table of the window before. The
    organizations overlay is kept too when organizations were updated since (the journey's
    own steps, which its run adds, or another journey's): their rows are computed again
    (`13_organizations_at_touched`), the others' stand."""

    def __init__(self, engine: DuckDBEngine):
        self.engine = engine
        self.updates_between = sqlfiles.load("backtest/org_updates_between.sql")
        self.instants: dict[str, list[datetime]] = defaultdict(list)
        for state, at in engine.rows(sqlfiles.load("backtest/state_changes.sql").sql()):
            self.instants[state].append(at)  # in order (the query sorts them)

    def unchanged(self, window: Window) -> tuple[set[str], bool]:
        """The states (`KEPT_STATE`) that window sees as the window before it did, and whether
        organizations were updated since (their overlay rows to compute again)."""
        unchanged = {state for state in KEPT_STATE if not self._changes(state, window)}
        updated = False
        if "organizations_changed" in unchanged:
            bounds = {"window_start": window.start, "window_end": window.end}
            [(updated,)] = self.engine.rows(self.updates_between.sql(**bounds))
        return unchanged, bool(updated)

    def _changes(self, state: str, window: Window) -> bool:
        instants = self.instants[state]
        after = bisect.bisect_right(instants, window.start)
        return after < len(instants) and instants[after] <= window.end


class TriggerBatches:
    """The trigger events of the backtest's windows with their contacts' organizations, a batch
    of `TRIGGER_BATCH` windows at a time (`sql/backtest/trigger_activity_orgs.sql`): each
    window reads its slice (`17_trigger_activity_orgs_batched`)."""

    def __init__(self, engine: DuckDBEngine, windows: list[Window], load_seqs):
        self.engine, self.windows, self.load_seqs = engine, windows, load_seqs
        self.statement = sqlfiles.load("backtest/trigger_activity_orgs.sql")
        self.index = {window.end: i for i, window in enumerate(windows)}
        self.through: datetime | None = None  # the last window end the batch computed covers

    def prepare(self, window: Window) -> None:
        """Compute the batch that starts at `window`, unless the batch computed covers it."""
        if self.through is not None and window.end <= self.through:
            return
        first = self.index[window.end]
        batch = self.windows[first : first + TRIGGER_BATCH]
        # What each window and the one before it saw; before the first, nothing (-1: the
        # first window's events are all it loaded, as `window_parameters` says).
        seen = [self.load_seqs(self.windows[first - 1]) if first else -1]
        seen += [self.load_seqs(w) for w in batch]
        rows = pa.table(
            {
                "window_start": [w.start for w in batch],
                "window_end": [w.end for w in batch],
                "load_seq": seen[1:],
                "prev_load_seq": seen[:-1],  # what the window before saw (`runs`)
            }
        )
        self.engine.register("backtest_batch_windows", rows)
        select = self.statement.sql(
            first_window_start=self.windows[0].start,
            batch_start=batch[0].start,
            batch_end=batch[-1].end,
            batch_load_seq=max(seen[1:]),
            batch_prev_load_seq=min(seen[:-1]),
        )
        self.engine.write(select, "backtest_trigger_activity_orgs", "temp")
        self.through = batch[-1].end


def _windows(start: datetime, through: datetime) -> list[Window]:
    first, last = floor_hour(start), floor_hour(through)
    if first + HOUR > last:
        raise BacktestError(
            f"no complete window from {start:%Y-%m-%dT%H:%M} through {through:%Y-%m-%dT%H:%M}"
        )
    windows = []
    while first + HOUR <= last:
        windows.append(Window(first, first + HOUR))
        first += HOUR
    return windows


def _copy_inputs(con, source: Path, journey_id: str, windows: list[Window]):
    """Copy the warehouse's inputs into the scratch database; return what each window saw."""
    if not source.is_file():
        raise BacktestError(f"no warehouse at {source}: ingest and run first")
    con.execute(sqlfiles.load("backtest/attach_source.sql").sql(path=str(source)))
    try:
        for table in INPUT_TABLES:
            con.execute(_copy(table).sql(dialect="duckdb"))
        others = exp.column("journey_id").neq(sqlfiles.literal(journey_id))
        for table, live_table in OTHER_JOURNEYS_TABLES.items():
            con.execute(_copy(table, live_table, others).sql(dialect="duckdb"))
        period = {"window_start": windows[0].start, "window_end": windows[-1].end}
        live = dict(
            con.execute(sqlfiles.load("backtest/live_load_seqs.sql").sql(**period)).fetchall()
        )
        [(loaded,)] = con.execute(sqlfiles.load("backtest/loaded_through.sql").sql()).fetchall()
    finally:
        con.execute(sqlfiles.load("backtest/detach_source.sql").sql())
    return lambda window: live.get(window.end, loaded)


def _copy(table: str, live_table: str | None = None, where: exp.Expression | None = None):
    """The scratch's `table` replaced by the rows of the warehouse's `live_table` (by default
    the same; its custom field columns too)."""
    rows = exp.select("*").from_(exp.table_(live_table or table, db="source"))
    return exp.Create(
        this=exp.to_table(table),
        kind="TABLE",
        replace=True,
        expression=rows.where(where) if where is not None else rows,
    )


def _catalog(
    engine: DuckDBEngine, journey: journeys.Journey, journeys_dir: Path
) -> journey_catalog.JourneyCatalog:
    """The journey, published, beside the other stored journeys stopped (their scopes kept)."""
    org_fields, contact_fields = journey_catalog.field_types(engine)
    problems = journeys.check_fields(journey, org_fields, contact_fields)
    if journeys.has_errors(problems):
        raise BacktestError("\n".join(str(p) for p in problems if p.severity == journeys.ERROR))
    delivery, delivery_problems = load_delivery(journeys_dir)
    if journeys.has_errors(delivery_problems):
        raise BacktestError("\n".join(str(p) for p in delivery_problems))
    others = journey_catalog.load_catalog(engine, Path("/nonexistent")).run_journeys
    current = RunJourney(journey, journey.id, journey.version, "published", journey.unsubscribe)
    return journey_catalog.JourneyCatalog(
        [current, *others], {(journey.id, journey.version): journey}, delivery=delivery
    )


def _result(engine: DuckDBEngine, journey: journeys.Journey, windows: list[Window]):
    daily = sqlfiles.load("backtest/daily.sql").sql(journey_id=journey.id)
    funnel = sqlfiles.load("backtest/funnel.sql").sql(journey_id=journey.id)
    tables = {
        name: engine.con.sql(
            contract.narrowed(exp.select("*").from_(name), journey_id=journey.id).sql("duckdb")
        ).to_arrow_table()
        for name in OUTPUT_TABLES
    }
    return BacktestResult(
        journey.id,
        journey.version,
        windows[0].start,
        windows[-1].end,
        len(windows),
        days=[dict(zip(("day", *DAILY_COUNTS), row, strict=True)) for row in engine.rows(daily)],
        funnel=[
            dict(zip(("step_id", *FUNNEL_COUNTS), row, strict=True)) for row in engine.rows(funnel)
        ],
        tables=tables,
    )
