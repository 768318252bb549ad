"""One window run atomically with its ledger row (SPEC section 2).

A window `[start, end)` decides everything as of its end. Its work is the ordered SQL step
files of `sql/window/` — register the journeys, load the window's activity and roll it up,
apply unsubscribes, conversions, exits, entries, the step walk, sends, the new state, and last
its row in `runs` — executed through the engine, inside the transaction of its caller. The
journeys reach the SQL as small tables and compiled predicates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time as dt_time

from sqlglot import exp

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.faults import maybe_fault
from orgjourney_pipeline.warehouse import utc_now
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.journeys import prepare_journeys
from orgjourney_pipeline.windows.plan import Window

RECORD_RUN = "96_record_run"  # the ledger row: written last, after the counts are known
# The `when` parameters of the CRM state steps whose temp table a caller may keep from its
# previous window on the same connection, when it knows the state they read is unchanged
# (`run_window`'s `kept`): the organizations snapshot, the organizations with the journeys'
# updates laid over it, and the subscriptions in effect.
KEPT_STATE = frozenset({"org_snapshot_changed", "organizations_changed", "subscriptions_changed"})
# The `when` parameter of the step that brings a kept organizations overlay up to date for the
# organizations updated since the window before (`run_window`'s `touched`).
OVERLAY_TOUCHED = "organizations_touched"
# The `when` parameter of the two ways to a window's trigger events with their organizations:
# read from the rows its caller computed for a batch of windows at once (a backtest:
# `run_window`'s `batched`), or, when false, joined to the memberships by the window.
TRIGGERS_BATCHED = "trigger_orgs_batched"
# Those `when` parameters in a window that computes every state afresh, as a live run's does
# (`window_parameters`; `run_window`'s `kept`, `touched` and `batched` change them).
FRESH_STATE: dict[str, bool] = {
    **dict.fromkeys(KEPT_STATE, True),
    OVERLAY_TOUCHED: False,
    TRIGGERS_BATCHED: False,
}


@dataclass
class WindowResult:
    """What one window did: rows written per step, the ledger's counts, how long it took."""

    window: Window
    counts: dict[str, int]  # rows per SQL step run (its name), for diagnostics and the benchmark
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    step_runs: int = 0  # statements executed (a loop's steps once per pass)
    journeys: dict[str, tuple[int, int, int]] = field(
        default_factory=dict
    )  # entered, sent, suppressed
    ledger_counts: dict[str, int] = field(default_factory=dict)  # `runs.counts`


def loaded_through(engine: Engine) -> int:
    """The last load sequence ingested (0 before any)."""
    return engine.rows(sqlfiles.load("runner/loaded_through.sql").sql())[0][0]


def run_window(
    engine: Engine,
    window: Window,
    steps: list[window_steps.SqlStep | window_steps.LoopGroup],
    load_seq: int,
    catalog: journey_catalog.JourneyCatalog,
    kept: frozenset[str] = frozenset(),
    touched: bool = False,
    batched: bool = False,
) -> WindowResult:
    """Run every step of one window, its ledger row last (the caller owns the transaction).

    `kept` names state steps (`KEPT_STATE`) not to recompute: their tables of the previous
    window on this connection still hold, as their caller knows. `touched` says the kept
    organizations overlay holds but for the organizations updated since the window before's
    start, which it computes again. `batched` says the caller computed the window's trigger
    events with their organizations (`sql/backtest/trigger_activity_orgs.sql`).
    """
    if not kept <= KEPT_STATE:
        raise ValueError(f"not state a window can keep: {sorted(kept - KEPT_STATE)}")
    if touched and "organizations_changed" not in kept:
        raise ValueError("only a kept organizations overlay is brought up to date")
    started_at, clock = utc_now(), time.perf_counter()
    params = window_parameters(engine, window, load_seq)
    params["started_at"] = started_at
    params.update(dict.fromkeys(kept, False))
    params[OVERLAY_TOUCHED] = touched
    params[TRIGGERS_BATCHED] = batched
    compiled = prepare_journeys(engine, catalog, window, load_seq)
    result = WindowResult(window, {}, 0.0)

    def run(step: window_steps.SqlStep) -> int:
        if not step.runs(params):  # not run, so not in the window's counts, seconds or runs
            maybe_fault(step.name)
            return 0
        step_clock = time.perf_counter()
        if step.name == RECORD_RUN:
            result.ledger_counts = ledger_counts(engine, window)
            params["counts"] = json.dumps(result.ledger_counts)
            params["finished_at"] = utc_now()
        rows = window_steps.run_step(engine, step, params, compiled)
        result.counts[step.name] = result.counts.get(step.name, 0) + rows
        elapsed = time.perf_counter() - step_clock
        result.step_seconds[step.name] = result.step_seconds.get(step.name, 0.0) + elapsed
        result.step_runs += 1
        maybe_fault(step.name)
        return rows

    # A loop group (the step walk): each pass moves every enrollment one step; without a loop
    # free of waits (validation forbids one), a walk ends within as many passes as the
    # longest journey has steps.
    walk_limit = 2 + max((len(j.steps) for j in catalog.versions.values()), default=0)
    for entry in steps:
        if isinstance(entry, window_steps.LoopGroup):
            run_loop(entry, params, run, walk_limit)
        elif entry.name == RECORD_RUN:
            result.journeys = window_journeys(engine)
            run(entry)
        else:
            run(entry)
    result.seconds = time.perf_counter() - clock
    return result


def run_loop(group, params: dict, run: Callable, limit: int) -> None:
    """Run a loop group's steps again and again until its first step selects no rows."""
    for walk_pass in range(1, limit + 1):
        params["walk_pass"] = walk_pass
        acting = [run(step) for step in group.steps][0]
        if acting == 0:
            return
    raise RuntimeError(f"the step walk did not settle within {limit} passes")


def ledger_counts(engine: Engine, window: Window) -> dict[str, int]:
    """The window's `runs.counts`: entered, exited, completed, sends, ... (SPEC section 4),
    from the rows it wrote (`sql/runner/window_counts.sql`)."""
    select = sqlfiles.load("runner/window_counts.sql").bind(window_end=window.end)
    counts = dict(engine.rows(select.sql(dialect=engine.dialect)))  # rows in no set order
    return {name: counts[name] for name in _count_names(select)}


def _count_names(union: exp.Expression) -> list[str]:
    """The count names of `window_counts.sql`, in the file's order: each part's literal."""
    if isinstance(union, exp.Union):
        return _count_names(union.left) + _count_names(union.right)
    return [union.selects[0].name]


def window_journeys(engine: Engine) -> dict[str, tuple[int, int, int]]:
    """Per journey, what the window computed: (entered, sent, suppressed)."""
    rows = engine.rows(sqlfiles.load("runner/window_journeys.sql").sql())
    return {
        journey_id: (entered, sent, suppressed) for journey_id, entered, sent, suppressed in rows
    }


def window_parameters(engine: Engine, window: Window, load_seq: int) -> dict[str, object]:
    """The values every window step may use.

    `prev_load_seq` is what the previous run had loaded (-1 before the first run, so the
    first window rolls up all history); events loaded after it are late arrivals.
    """
    previous_run = sqlfiles.load("runner/previous_run.sql").sql(window_start=window.start)
    [(previous, first_start)] = engine.rows(previous_run)
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
        **FRESH_STATE,  # unless `run_window` keeps, touches or batches them
    }
