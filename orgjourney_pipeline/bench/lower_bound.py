"""The lower bound of a window: the bare DuckDB work no implementation can avoid, hand-written.

1. aggregate the window's events to (organization, activity type) through memberships;
2. join that to the active enrollments and the journeys' activity triggers (entries,
   wait_for steps, attribution);
3. evaluate each published journey's entry filter once over the organizations (the
   recurring and anniversary ones only when their instant falls in the window), in one
   pass with a count that several journeys repeat computed once (`fuse_branches`), after
   the `members` roll-ups those filters read (one grouped pass per contact filter);
4. expand the send steps due this window (as the engine found them) to the contacts their
   `send_to` keeps (one fused pass over the members), with addresses, the contacts
   unsubscribed from everything or from the step's audience left out;
5. rank those recipients against the frequency caps of `delivery.yaml` (priority, journey,
   step position) and count each competing contact's earlier sends in the caps' periods.

It runs on its own connection to the same database, over plain tables of the state as of
the window end (copied from the engine's views, untimed), right after the engine's window.
Its SQL is in `sql/bench/lb_*.sql`; what it does for each entry kind is `ENTRY_BOUNDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline import catalog, sqlfiles, warehouse
from orgjourney_pipeline import journeys as model
from orgjourney_pipeline.bench.measure import bench_sql
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.delivery import delivery_caps
from orgjourney_pipeline.journeys.filters import Clock, FilterScope, compile_filter
from orgjourney_pipeline.journeys.fusion import fuse_branches, union_all
from orgjourney_pipeline.journeys.recipients import narrowed
from orgjourney_pipeline.windows.plan import Window

#: The plain tables of the engine's state the bound reads (dropped at the end).
COPIES = ("bench_orgs", "bench_memberships", "bench_contacts", "bench_unsubscribed")
#: Copied again only when the snapshots in effect change (the first three of COPIES).
SNAPSHOT_COPIES = ("organizations", "memberships", "contacts")
#: The engine's views, on the bound's connection over the copies.
VIEWS = ("organizations_at", "memberships_at", "contacts_at")


def _query(name: str, **values: object) -> exp.Query:
    """The bench SQL file `sql/bench/<name>.sql` (one SELECT), bound, as a sqlglot tree."""
    query = sqlfiles.load(f"bench/{name}.sql").bind(**values)
    if not isinstance(query, exp.Query):
        raise sqlfiles.SqlFileError(f"bench/{name}.sql: expected one SELECT")
    return query


# -- the entry kinds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """What one journey's entry condition is evaluated with in one window (part 3)."""

    journey: model.Journey
    window: Window
    today: date
    scope: FilterScope

    @property
    def entry(self) -> model.EntryKind:
        return self.journey.entry

    def entry_filter(self) -> exp.Expression:
        """The entry's own filter, compiled (true when it has none)."""
        return compile_filter(self.entry.filter, self.scope)

    def over_organizations(self, condition: exp.Expression) -> exp.Query:
        """The organizations that meet `condition`, as one branch of `lb_entries`."""
        return _query("lb_entry_level", journey_id=self.journey.id, condition=condition)


def _filter_level(level: Level) -> exp.Query | None:
    return level.over_organizations(level.entry_filter())


def _tags_level(level: Level) -> exp.Query | None:
    entry = level.entry
    tags = tuple(model.TagCondition(tag=tag) for tag in entry.tags)
    combined = model.AllOf(items=tags) if entry.match == "all" else model.AnyOf(items=tags)
    condition = exp.and_(
        exp.paren(compile_filter(combined, level.scope)), exp.paren(level.entry_filter())
    )
    return level.over_organizations(condition)


def _activity_level(level: Level) -> exp.Query | None:
    if level.entry.filter is None:
        return None  # the trigger join (part 2) is all there is
    return _query(
        "lb_entry_level_triggered", journey_id=level.journey.id, condition=level.entry_filter()
    )


def _approaching_date_level(level: Level) -> exp.Query | None:
    entry = level.entry
    field_date = exp.cast(
        exp.column(exp.to_identifier(entry.field, quoted=True), "o"), exp.DataType.Type.DATE
    )
    upcoming = exp.Between(
        this=field_date,
        low=sqlfiles.literal(level.today),
        high=sqlfiles.literal(level.today + timedelta(days=int(entry.days_before))),
    )
    return level.over_organizations(exp.and_(upcoming, exp.paren(level.entry_filter())))


def _anniversary_level(level: Level) -> exp.Query | None:
    entry, window, journey = level.entry, level.window, level.journey
    days = schedule.anniversary_dates(
        window.start, window.end, journey.timezone, schedule.parse_clock(entry.at)
    )
    if not days:
        return None
    column = exp.column(exp.to_identifier(entry.field, quoted=True), "o")

    def same_day(day: date) -> exp.Expression:
        return exp.and_(
            exp.EQ(this=exp.func("month", column.copy()), expression=exp.Literal.number(day.month)),
            exp.EQ(this=exp.func("day", column.copy()), expression=exp.Literal.number(day.day)),
        )

    any_day = exp.or_(*[same_day(day) for day in days])
    return level.over_organizations(exp.and_(exp.paren(any_day), exp.paren(level.entry_filter())))


def _recurring_level(level: Level) -> exp.Query | None:
    entry, window = level.entry, level.window
    fires = schedule.recurring_fires(
        window.start,
        window.end,
        level.journey.timezone,
        entry.every,
        schedule.parse_clock(entry.at),
        tuple(entry.on or ()),
        entry.day,
    )
    return level.over_organizations(level.entry_filter()) if fires else None


def _no_trigger(_entry: model.EntryKind) -> str | None:
    return None


def _activity_trigger(entry: model.EntryKind) -> str | None:
    return entry.activity


@dataclass(frozen=True)
class EntryBound:
    """What the lower bound does for one entry kind: the activity type that triggers an entry
    (part 2; None: none) and its entry condition over the organizations (part 3; None: no
    work this window)."""

    level: Callable[[Level], exp.Query | None]
    trigger: Callable[[model.EntryKind], str | None] = _no_trigger


#: One per entry kind (`journeys.ENTRY_KINDS`), by `entry.when`.
ENTRY_BOUNDS: dict[str, EntryBound] = {
    "filter": EntryBound(_filter_level),
    "tags": EntryBound(_tags_level),
    "activity": EntryBound(_activity_level, trigger=_activity_trigger),
    "approaching_date": EntryBound(_approaching_date_level),
    "anniversary": EntryBound(_anniversary_level),
    "recurring": EntryBound(_recurring_level),
}


def entry_bound(journey: model.Journey) -> EntryBound:
    """What the lower bound does for the journey's kind of entry."""
    try:
        return ENTRY_BOUNDS[journey.entry.when]
    except KeyError:
        raise ValueError(f"the lower bound knows no entry kind {journey.entry.when!r}") from None


def triggers(journeys: list[model.Journey]) -> pa.Table:
    """The journeys' activity triggers: (journey, activity type, 'entry' or 'enrollment')."""
    rows = []
    for journey in journeys:
        activity = entry_bound(journey).trigger(journey.entry)
        if activity is not None:
            rows.append((journey.id, activity, "entry"))
        for step in journey.steps:
            if step.WAITS_FOR_ACTIVITY:
                rows.append((journey.id, step.activity, "enrollment"))
        if journey.attribution is not None:
            rows.append((journey.id, journey.attribution.activity, "enrollment"))
    names = ("journey_id", "activity_type", "kind")
    columns = {n: pa.array([row[i] for row in rows], pa.string()) for i, n in enumerate(names)}
    return pa.table(columns)


# -- the bound --------------------------------------------------------------------------------


class LowerBound:
    """The lower bound over one warehouse (see the module docstring); `measure` a window."""

    def __init__(self, con: duckdb.DuckDBPyConnection, journeys_dir: Path):
        self.con = con
        journeys, problems = model.load_journeys(journeys_dir)
        rules, rule_problems = model.load_delivery(journeys_dir)
        if problems or rule_problems:
            raise RuntimeError(
                f"benchmark journeys do not validate: {(problems + rule_problems)[0]}"
            )
        self.journeys = [j for j in journeys if j.state == "published"]
        self.rules = rules
        self.snapshot_key: tuple | None = None
        #: The sends the bound's caps part capped, over the windows measured (not timed).
        self.capped = 0

    def __enter__(self) -> LowerBound:
        self.lb = self.con.cursor()
        self.lb.execute(bench_sql("lb_time_zone"))
        DuckDBEngine(self.lb).register("lb_triggers", triggers(self.journeys))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.lb.close()
        for table in (*COPIES, "bench_due_sends"):
            drop = exp.Drop(tables=[exp.to_table(table)], kind="TABLE", exists=True)
            self.con.execute(drop.sql("duckdb"))

    def _copy_state(self, window: Window) -> None:
        """Plain tables of the engine's state as of the window end (not timed)."""
        con = self.con
        key = tuple(con.execute(bench_sql("lb_snapshot_key", window_end=window.end)).fetchall())
        with warehouse.transaction(con):
            if key != self.snapshot_key:
                for name in SNAPSHOT_COPIES:
                    con.execute(bench_sql(f"lb_copy_{name}"))
                self.snapshot_key = key
        for view in VIEWS:
            self.lb.execute(bench_sql(f"lb_view_{view}"))
        con.execute(bench_sql("lb_copy_unsubscribed"))
        con.execute(bench_sql("lb_copy_due_sends"))
        con.execute(bench_sql("lb_checkpoint"))

    def measure(self, window: Window) -> dict[str, float]:
        """Seconds of each part of the lower bound for `window` (run after the engine's)."""
        self._copy_state(window)
        DuckDBEngine(self.lb).register("delivery_caps", delivery_caps(self.rules, window.end))
        (load_seq,) = self.con.execute(bench_sql("lb_load_seq")).fetchone()
        statements = self.statements(window, load_seq)
        parts: dict[str, float] = {}
        for part, sql in statements:
            clock = time.perf_counter()
            self.lb.execute(sql)
            parts[part] = parts.get(part, 0.0) + time.perf_counter() - clock
        (capped,) = self.lb.execute(bench_sql("lb_capped_count")).fetchone()
        self.capped += capped
        return parts

    def statements(self, window: Window, load_seq: int) -> list[tuple[str, str]]:
        """The five parts' statements for `window`, as DuckDB SQL."""
        fields = catalog.field_types(DuckDBEngine(self.con))
        scopes = [self._scope(j, window, load_seq, fields) for j in self.journeys]
        levels = [
            entry_bound(j).level(Level(j, window, scope.clock.today, scope))
            for j, scope in zip(self.journeys, scopes, strict=True)
        ]
        # One pass over the organizations for all journeys, a count that several journeys
        # repeat computed once: the engine's fusion, so the bound charges no work it avoids.
        fused = union_all(levels)
        entries = fuse_branches(fused) if fused is not None else _query("lb_no_entries")
        statements = [
            ("rollup", bench_sql("lb_rollup", window_start=window.start, window_end=window.end)),
            ("triggers", bench_sql("lb_triggered")),
        ]
        passes: dict[str, exp.Query] = {}  # the entry filters' roll-ups, each once
        for journey, scope in zip(self.journeys, scopes, strict=True):
            if journey.entry.filter is not None:
                passes.update(journey.entry.filter.rollup_passes(scope))
        if passes:
            rollups = union_all(passes.values())
            statements.append(("member_rollups", bench_sql("lb_member_rollups", rollups=rollups)))
        return [
            *statements,
            ("entry_filters", bench_sql("lb_entries", levels=entries)),
            ("recipients", bench_sql("lb_recipients", addressed=self._addressed(scopes))),
            ("caps", bench_sql("lb_caps", window_end=window.end)),
        ]

    def _addressed(self, scopes: list[FilterScope]) -> exp.Query:
        """Part 4's branches: each send step's due sends and the members its `send_to` keeps."""
        branches = []
        for journey, scope in zip(self.journeys, scopes, strict=True):
            contacts = FilterScope(
                "contact", "c", scope.contact_fields or {}, scope.clock, enrollment="i"
            )
            for step in journey.steps:
                if step.CHANNEL is None:
                    continue
                send_to = narrowed((journey.send_to, step.send_to), contacts)
                branches.append(
                    _query("lb_addressed", journey_id=journey.id, step_id=step.id, send_to=send_to)
                )
        # One pass over the members for all send steps, as the engine fuses `addressed_contacts`.
        addressed = union_all(branches)
        return fuse_branches(addressed) if addressed is not None else _query("lb_no_addressed")

    def _scope(
        self, journey: model.Journey, window: Window, load_seq: int, fields: tuple[dict, dict]
    ) -> FilterScope:
        """What one journey's entry filter is evaluated with this window."""
        today = schedule.local_today(window.end, journey.timezone)
        clock = Clock(window.end, today, load_seq)
        return FilterScope("org", "o", fields[0], clock, contact_fields=fields[1])
