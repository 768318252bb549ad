"""Generated active enrollments for the benchmark (`orgjourney bench --enrollments`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orgjourney_pipeline import journeys as model
from orgjourney_pipeline import warehouse
from orgjourney_pipeline.bench.measure import bench_sql
from orgjourney_pipeline.engines.duckdb import DuckDBEngine


def waiting_steps(journeys_dir: Path) -> pa.Table:
    """The waiting steps (delay, wait_for) of the journeys, numbered from 0."""
    journeys, _ = model.load_journeys(journeys_dir)
    waiting = [
        (journey.id, journey.version, step.id)
        for journey in journeys
        for step in journey.steps
        if step.WAITS
    ]
    if not waiting:
        raise RuntimeError("no journey has a delay or wait_for step to hold enrollments")
    return pa.table(
        {
            "n": pa.array(range(len(waiting)), pa.int32()),
            "journey_id": pa.array([w[0] for w in waiting], pa.string()),
            "journey_version": pa.array([w[1] for w in waiting], pa.int32()),
            "step_id": pa.array([w[2] for w in waiting], pa.string()),
        }
    )


def add_enrollments(
    con: duckdb.DuckDBPyConnection, journeys_dir: Path, now: datetime, count: int
) -> None:
    """`count` generated active enrollments, spread over the organizations and the waiting
    steps (delay, wait_for) of the published journeys: entered in the last two weeks, each
    due at one of the next 168 hours (so about 1/168 fall due each window)."""
    steps = waiting_steps(journeys_dir)
    DuckDBEngine(con).register("bench_waiting_steps", steps)
    with warehouse.transaction(con):
        con.execute(
            bench_sql("generated_enrollments", now=now, count=count, steps=steps.num_rows)
        ).fetchall()
