"""The inbox sensor: requests an ingest run when the inbox's files change.

It looks only at names, sizes and modification times, never at contents: the cursor is a
digest of that listing, so an unchanged inbox requests nothing. Ingest itself knows files by
content hash, so a run requested for a file already loaded loads nothing twice. The sensor
never opens the warehouse, so its ticks never contend for DuckDB's write lock; it starts
stopped, like every Dagster sensor.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of asset and
# sensor functions at definition time to find their config and resources.
import hashlib
import os
from pathlib import Path

import dagster as dg

from .jobs import inbox_ingest_job
from .resources import OrgjourneyResource


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
