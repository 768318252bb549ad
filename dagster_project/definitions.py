"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs`.

`defs` is built when Dagster loads the code location, not at import: that is when
ORGJOURNEY_START (the first hourly partition) is read. Paths resolve even later, when a run or
a sensor tick uses the resource, so loading never touches the warehouse.

The writing assets share the `orgjourney_warehouse` pool; the instance must give it a limit
of 1 so two runs never write at once: `dagster_project/dagster.yaml` holds that setting (copy
it into `$DAGSTER_HOME`), or run `dagster instance concurrency set orgjourney_warehouse 1`.
"""

from __future__ import annotations

import dagster as dg

from .assets import build_assets, window_partitions
from .jobs import hourly_window_job, inbox_ingest_job
from .resources import OrgjourneyResource
from .schedules import hourly_window_schedule
from .sensors import build_ledger_sensor, inbox_sensor


def build_definitions(
    first_window: str | None = None, orgjourney: OrgjourneyResource | None = None
) -> dg.Definitions:
    """The table assets and their checks, jobs, the hourly schedule, the inbox and ledger
    sensors, and the resource.

    `first_window` overrides ORGJOURNEY_START; `orgjourney` the resource that resolves its
    paths from the ORGJOURNEY_* variables.
    """
    partitions_def = window_partitions(first_window)
    return dg.Definitions(
        assets=build_assets(partitions_def),
        jobs=[hourly_window_job, inbox_ingest_job],
        schedules=[hourly_window_schedule],
        sensors=[inbox_sensor, build_ledger_sensor(partitions_def)],
        resources={"orgjourney": orgjourney or OrgjourneyResource()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location, as configured by the environment."""
    return build_definitions()
