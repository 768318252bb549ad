"""A row-at-a-time reference model of the journey semantics, and random worlds to test with.

The reference evaluates SPEC in plain Python, one organization and enrollment at a time, and
produces the same output tables as the engine (`enrollments`, `enrollment_steps`, `sends`,
`suppressions`, `unsubscribes`, `org_updates`, `conversions`), each a sorted list of tuples
with the columns of `model.TABLES`. The differential tests (`tests/test_reference.py`)
compare it with the SQL engine; the benchmark can use it as the row-at-a-time baseline.

Entry points:
    run_reference(inputs, invocations) -> dict[table, list[tuple]]
        `inputs` (`Inputs`): typed snapshot rows (`Snapshot`: kind, snapshot_at, rows, load)
        and events (`Activity`, in load order), with the custom field types;
        `invocations` (`Invocation`): per `run`, its window ends, the journeys it read
        (`orgjourney_pipeline.journeys.model.Journey`) and the last load it sees.
    run_reference_on_warehouse(con, journeys, start, through) -> dict[table, list[tuple]]
        the same over an ingested warehouse: raw inputs read with plain `select`s
        (`inputs_from_warehouse`), then one invocation of hourly windows from `start`.

A top-level package of the repository, in the wheel (`import orgjourney_reference`): the
benchmark runs it as its row-at-a-time baseline. It is written from the contract only: it
reads the parsed journey model (`orgjourney_pipeline.journeys`) and shares no SQL or
compiler code with the engine (`tests/test_reference.py` holds it to that). `world` (random
worlds, Hypothesis strategies) and `profiles` (Hypothesis profiles) need the `test` extra;
importing the package does not import them.
"""

from .model import (
    TABLES,
    Activity,
    Inputs,
    Invocation,
    Snapshot,
    inputs_from_warehouse,
    run_reference,
    run_reference_on_warehouse,
)

__all__ = [
    "TABLES",
    "Activity",
    "Inputs",
    "Invocation",
    "Snapshot",
    "inputs_from_warehouse",
    "run_reference",
    "run_reference_on_warehouse",
]
