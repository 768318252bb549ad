"""The benchmark (SPEC section 6): one process, one run, figures as ratios.

These machines are shared and noisy, so every figure that matters is a ratio of two things
measured side by side, window by window, in the same process on the same data:

- `ratio`: the steady-state window against a hand-written bare-DuckDB lower bound of the same
  window's irreducible work (`lower_bound`), run right after it on the same warehouse;
- `growth`: the same windows on the same data with 4x and 1x history, run in lockstep;
- `reference_speedup`: the row-at-a-time reference model (`orgjourney_reference`)
  over the same windows, with a check that both produce the same sends.

Phases: generate seeded inbox files (`sample`) and a mix of journeys (`write_journeys`);
ingest the history (twice: the full history and its last quarter); then hour by hour ingest
the hour's files (activity and an hourly CRM sync) into both warehouses and run the window in
each — a catch-up window (it rolls up all history), warm-up windows (the last one profiled
by DuckDB), then the measured ones, each followed by its lower bound; then the daily
compaction of the activity rollup, timed and rolled back; then a backfill of 24 windows in
one invocation, and the same 24 hours again in a copy of the warehouse from before it, one
invocation an hour; then the reference comparison on a fresh warehouse. `run_bench` returns
every figure as a dict (the JSON of `orgjourney bench --json`).

The package, along its seams: `harness` (the options and the run, phase by phase),
`measure` (timed ingests, resident memory, the figures), `profile` (DuckDB's profile of the
warm-up window, step by step), `lower_bound` (its SQL in `sql/bench/`), `journeys` (the
benchmark's journeys), `enrollments` (generated enrollments), `reference` (the comparison
with the reference model) and `sweeps` (the charts).
"""

from __future__ import annotations

from orgjourney_pipeline.bench.harness import BenchOptions, phase_count, run_bench
from orgjourney_pipeline.bench.journeys import journey_definition, write_journeys
from orgjourney_pipeline.bench.measure import TARGETS, Progress
from orgjourney_pipeline.bench.sweeps import SWEEPS, run_sweeps, write_charts

__all__ = [
    "SWEEPS",
    "TARGETS",
    "BenchOptions",
    "Progress",
    "journey_definition",
    "phase_count",
    "run_bench",
    "run_sweeps",
    "write_charts",
    "write_journeys",
]
