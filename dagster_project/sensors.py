"""The sensors: the inbox (requests an ingest run when its files change) and the runs ledger
(tells Dagster of the windows processed outside it).

The inbox sensor looks only at names, sizes and modification times, never at contents: the cursor is a
digest of that listing, so an unchanged inbox requests nothing. Ingest itself knows files by
content hash, so a run requested for a file already loaded loads nothing twice. The sensor
never opens the warehouse, so its ticks never contend for DuckDB's write lock; it starts
stopped, like every Dagster sensor.

The ledger sensor reads the `runs` ledger for windows committed since its cursor that Dagster
has no partition for (processed by `orgjourney run`, or by a Dagster run that failed after
committing them) and reports them as runless materializations of the window tables, with the
rows each window wrote. It opens the warehouse read-only and waits for no lock: while a
writer holds it, or a Dagster run is writing windows, the tick is skipped. It only reports,
so it starts running.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of asset and
# sensor functions at definition time to find their config and resources.
import hashlib
import os
from datetime import datetime
from pathlib import Path

import dagster as dg

from orgjourney_pipeline import pipeline, warehouse
from orgjourney_pipeline.timeutil import format_instant, parse_instant

from . import tables
from .jobs import hourly_window_job, inbox_ingest_job
from .resources import OrgjourneyResource

# Windows reported per tick at most: a long CLI backfill is reported over a few ticks.
LEDGER_WINDOWS_PER_TICK = 200
_END_OF_TIME = datetime(9999, 12, 31)
_WRITING = (
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


@dg.sensor(job=inbox_ingest_job, minimum_interval_seconds=60)
def inbox_sensor(
    context: dg.SensorEvaluationContext, orgjourney: OrgjourneyResource
) -> dg.SensorResult | dg.SkipReason:
    """An `inbox_ingest_job` run whenever the listing of the inbox changes."""
    inbox = orgjourney.settings().inbox
    listing = inbox_listing(inbox)
    if not listing:
        return dg.SkipReason(f"no files in the inbox {inbox}")
    digest = listing_digest(listing)
    if digest == context.cursor:
        return dg.SkipReason(f"no new or changed files in the inbox {inbox}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=digest, tags={"orgjourney/inbox_files": str(len(listing))})
        ],
        cursor=digest,
    )


def inbox_listing(inbox: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime in ns) of every visible file under the inbox, sorted."""
    if not inbox.is_dir():
        return []
    listing = []
    for folder, subfolders, files in os.walk(inbox):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(folder) / name
            stat = path.stat()
            listing.append((path.relative_to(inbox).as_posix(), stat.st_size, stat.st_mtime_ns))
    return sorted(listing)


def listing_digest(listing: list[tuple[str, int, int]]) -> str:
    """A short, stable digest of a listing: the sensor's cursor and run key."""
    text = "\n".join(f"{name}\t{size}\t{mtime}" for name, size, mtime in listing)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def build_ledger_sensor(partitions_def: dg.TimeWindowPartitionsDefinition) -> dg.SensorDefinition:
    """The sensor that reports the ledger's windows Dagster has no partition for."""

    @dg.sensor(
        name="runs_ledger_sensor",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reports the windows processed outside Dagster (the runs ledger).",
    )
    def runs_ledger_sensor(
        context: dg.SensorEvaluationContext, orgjourney: OrgjourneyResource
    ) -> dg.SensorResult | dg.SkipReason:
        """Runless materializations of the windows committed since the cursor."""
        path = orgjourney.settings().warehouse
        if not path.exists():
            return dg.SkipReason(f"no warehouse at {path} yet")
        writer = _writing_run(context.instance)
        if writer is not None:
            return dg.SkipReason(f"run {writer} is processing windows; next tick")
        since = (
            parse_instant(context.cursor)
            if context.cursor
            else tables.naive_utc(partitions_def.start)
        )
        try:
            with orgjourney.connect(read_only=True, wait_seconds=0) as con:
                windows = _reportable(
                    pipeline.processed_windows(
                        con, since, _END_OF_TIME, limit=LEDGER_WINDOWS_PER_TICK
                    )
                )
                known = context.instance.get_materialized_partitions(dg.AssetKey("runs"))
                unknown = [
                    window
                    for window in windows
                    if tables.partition_key(partitions_def, window.start) not in known
                ]
                events = tables.window_materializations(con, partitions_def, unknown, {})
        except warehouse.WarehouseBusy as busy:
            return dg.SkipReason(f"the warehouse is being written ({busy}); next tick")
        if not windows:
            return dg.SkipReason(f"no window committed after {format_instant(since)}")
        return dg.SensorResult(asset_events=events, cursor=format_instant(windows[-1].end))

    return runs_ledger_sensor


def _reportable(windows: list[pipeline.ProcessedWindow]) -> list[pipeline.ProcessedWindow]:
    """The windows up to the first whose exports are not complete yet (a later tick)."""
    for index, window in enumerate(windows):
        if not window.exported:
            return windows[:index]
    return windows


def _writing_run(instance: dg.DagsterInstance) -> str | None:
    """The id of a Dagster run in progress that processes windows, if any."""
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(_WRITING))):
        selection = run.asset_selection or set()
        if run.job_name == hourly_window_job.name or dg.AssetKey("runs") in selection:
            return run.run_id
    return None
