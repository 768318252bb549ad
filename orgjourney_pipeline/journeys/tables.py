"""Journeys as data: the small tables one window's SQL reads (SPEC: "journeys are data").

`run_journeys` (each journey's current version and effective state), `journey_steps` (a row
per step of every version that may move, with the data columns the step walk switches on),
and `step_updates` (the organization updates each step makes). One statement then advances
every enrollment of every journey.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from orgjourney_pipeline.journeys import graph
from orgjourney_pipeline.journeys.delivery import holdout_threshold, step_delivery_columns
from orgjourney_pipeline.journeys.model import Journey


@dataclass(frozen=True)
class RunJourney:
    """A journey as this invocation runs it: its current definition and effective state."""

    journey: Journey | None  # None for a journey whose file is missing or invalid
    journey_id: str
    version: int
    state: str  # draft | published | paused | archived | stopped (file missing or invalid)
    unsubscribe_audience: str | None


RUN_JOURNEY_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("version", pa.int32()),
        ("state", pa.string()),
        ("frequency", pa.string()),
        ("unsubscribe_audience", pa.string()),
        ("holdout_threshold", pa.int32()),  # holdout buckets below it are held out
    ]
)
STEP_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("step_id", pa.string()),
        ("position", pa.int32()),
        ("action", pa.string()),  # for people reading the table; the SQL reads the flags
        ("next_step_id", pa.string()),
        ("then_step_id", pa.string()),
        ("else_step_id", pa.string()),
        ("is_wait", pa.bool_()),
        ("waits_for_activity", pa.bool_()),
        ("chooses_branch", pa.bool_()),
        ("ends", pa.bool_()),
        ("is_send", pa.bool_()),
        ("channel", pa.string()),
        ("template", pa.string()),
        ("unsubscribe_audience", pa.string()),
        ("outcome", pa.string()),
        ("activity_outcome", pa.string()),
        ("wake_at", pa.timestamp("us")),
        # Delivery rules (`delivery.step_delivery_columns`):
        ("held_outcome", pa.string()),  # a send step held by a send window: its outcome
        ("priority", pa.int32()),
        ("cap_exempt", pa.bool_()),
    ]
)
UPDATE_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("step_id", pa.string()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("value", pa.string()),
        ("seq", pa.int32()),
    ]
)


def run_journeys_table(run_journeys: Iterable[RunJourney]) -> pa.Table:
    """`run_journeys`: a row per journey of the invocation."""
    rows = [
        {
            "journey_id": rj.journey_id,
            "version": rj.version,
            "state": rj.state,
            "frequency": rj.journey.frequency if rj.journey else "once",
            "unsubscribe_audience": rj.unsubscribe_audience,
            "holdout_threshold": holdout_threshold(
                rj.journey.holdout_percent if rj.journey else None
            ),
        }
        for rj in run_journeys
    ]
    return pa.Table.from_pylist(rows, schema=RUN_JOURNEY_SCHEMA)


def step_tables(
    journeys: Iterable[Journey], window_end: datetime, org_fields: Mapping[str, str]
) -> dict[str, pa.Table]:
    """`journey_steps` and `step_updates` of these journey versions, for this window.

    A step's `wake_at` is when it falls due if an enrollment arrives at it in this window; a
    field it sets is named as `org_fields` name it (field names ignore case).
    """
    steps, updates = [], []
    for journey in journeys:
        order = [step.id for step in journey.steps]
        for position, step in enumerate(journey.steps, 1):
            default = graph.default_next(step, order)
            row = dict.fromkeys(STEP_SCHEMA.names)
            row.update(
                journey_id=journey.id,
                journey_version=journey.version,
                step_id=step.id,
                position=position,
                action=step.ACTION,
                next_step_id=default,
                wake_at=step.wake_at(journey.timezone, window_end),
            )
            row.update(step.journey_step(journey, default))
            row.update(step_delivery_columns(journey, step))
            steps.append(row)
            for seq, (kind, name, value) in enumerate(step.updates(org_fields), 1):
                updates.append(
                    {
                        "journey_id": journey.id,
                        "journey_version": journey.version,
                        "step_id": step.id,
                        "kind": kind,
                        "name": name,
                        "value": value,
                        "seq": seq,
                    }
                )
    return {
        "journey_steps": pa.Table.from_pylist(steps, schema=STEP_SCHEMA),
        "step_updates": pa.Table.from_pylist(updates, schema=UPDATE_SCHEMA),
    }
