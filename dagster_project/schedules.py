"""The hourly schedule: each tick runs the hour that has just ended.

Like every Dagster schedule it starts stopped: turn it on in the UI once the paths and
ORGJOURNEY_START are set. A tick missed while the daemon was down is not lost: the next
tick's window run first processes every unprocessed window before it, in order.
"""

from __future__ import annotations

import dagster as dg

from .jobs import hourly_window_job

# Five minutes past the hour, so files written around the hour boundary have landed; an
# activity that still arrives late is processed by the next run with its true occurred_at.
hourly_window_schedule = dg.build_schedule_from_partitioned_job(
    hourly_window_job,
    name="hourly_window_schedule",
    minute_of_hour=5,
    description="Every hour: load the inbox and process the window that has just ended.",
)
