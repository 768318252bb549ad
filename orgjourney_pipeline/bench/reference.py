"""The engine against the row-at-a-time reference model (`orgjourney_reference`).

Both run the same windows over the same inputs; `compare` times each, window by window, and
checks that they make the same sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlglot import exp

import orgjourney_reference
from orgjourney_pipeline import journeys as model
from orgjourney_pipeline import warehouse
from orgjourney_pipeline.bench.measure import ingest
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.windows.plan import Window
from orgjourney_pipeline.windows.run import run_windows
from orgjourney_reference import model as reference_model


@dataclass
class EngineSide:
    """The engine's run of the windows: its seconds per window, its sends, and the inputs the
    reference reads from the same warehouse (with the seconds that read took)."""

    seconds: list[float]
    sends: list[tuple]
    inputs: orgjourney_reference.Inputs
    load: int
    read_s: float


def run_engine(
    database: Path, files: list[Path], windows: list[Window], journeys_dir: Path
) -> EngineSide:
    """Ingest `files` into a fresh warehouse and run `windows` there in one invocation."""
    con = warehouse.connect(database)
    try:
        ingest(con, files)
        seconds: list[float] = []
        run_windows(
            DuckDBEngine(con),
            windows[-1].end,
            windows[0].start,
            journeys_dir=journeys_dir,
            on_window=lambda window: seconds.append(window.seconds),
        )
        columns = orgjourney_reference.TABLES["sends"]
        select = exp.select(*columns).from_("sends").sql("duckdb")
        sends = reference_model.sort_rows(con.execute(select).fetchall())
        clock = time.perf_counter()
        inputs = orgjourney_reference.inputs_from_warehouse(con)
        load = max([a.load for a in inputs.activities] + [s.load for s in inputs.snapshots])
        read_s = time.perf_counter() - clock
    finally:
        con.close()
    return EngineSide(seconds, sends, inputs, load, read_s)


def run_reference(
    inputs: orgjourney_reference.Inputs, load: int, ends: list[datetime], journeys_dir: Path
) -> tuple[list[float], dict[str, list[tuple]]]:
    """The reference over the windows ending at `ends`: seconds per window, its tables."""
    journeys, problems = model.load_journeys(journeys_dir)
    delivery, delivery_problems = model.load_delivery(journeys_dir)
    if problems or delivery_problems:
        raise RuntimeError(
            f"benchmark journeys do not validate: {(problems + delivery_problems)[0]}"
        )
    seconds: list[float] = []
    # One invocation per window (the same journey files each time), timed one by one.
    reference = reference_model.Reference(inputs)
    for end in ends:
        clock = time.perf_counter()
        reference.invoke(orgjourney_reference.Invocation((end,), tuple(journeys), load, delivery))
        seconds.append(time.perf_counter() - clock)
    return seconds, reference.tables()


def compare(
    result: dict[str, Any],
    notes: list[str],
    engine: Callable[[], EngineSide],
    ends: list[datetime],
    journeys_dir: Path,
) -> None:
    """The reference figures: seconds of each side, window by window, and whether their sends
    are the same.

    `reference_speedup` compares the windows after the first (the catch-up window, which
    rolls up all history once); `reference_speedup_total` all of them.
    """
    side = engine()
    reference_seconds, tables = run_reference(side.inputs, side.load, ends, journeys_dir)
    same = tables["sends"] == side.sends
    result["reference_windows"] = len(ends)
    result["reference_engine_seconds"] = [round(x, 3) for x in side.seconds]
    result["reference_seconds"] = [round(x, 3) for x in reference_seconds]
    result["reference_read_s"] = round(side.read_s, 3)
    result["reference_speedup_total"] = round(sum(reference_seconds) / sum(side.seconds), 1)
    if len(reference_seconds) == len(side.seconds):
        result["reference_speedup"] = round(sum(reference_seconds[1:]) / sum(side.seconds[1:]), 1)
    else:
        result["reference_speedup"] = result["reference_speedup_total"]
    result["reference_sends"] = len(side.sends)
    result["reference_sends_identical"] = same
    if not same:
        missing = len(set(tables["sends"]) - set(side.sends))
        extra = len(set(side.sends) - set(tables["sends"]))
        notes.append(
            f"sends differ from the reference: {missing} only in the reference, "
            f"{extra} only in the engine"
        )
