"""The jobs: the hourly window (ingest, then the window), and ingest on its own.

Both run their steps in one process: the assets share one warehouse file, which DuckDB lets
only one process write at a time. Assets are selected by key, so the jobs do not depend on
how the window's partitions are configured.
"""

from __future__ import annotations

import dagster as dg

from .tables import INPUT_TABLES, WINDOW_ASSET_KEYS

INPUT_SELECTION = dg.AssetSelection.assets(*INPUT_TABLES)

hourly_window_job = dg.define_asset_job(
    "hourly_window_job",
    selection=INPUT_SELECTION | dg.AssetSelection.assets(*WINDOW_ASSET_KEYS),
    executor_def=dg.in_process_executor,
    description="Load the inbox, then process the hourly windows of the partition (range).",
)

inbox_ingest_job = dg.define_asset_job(
    "inbox_ingest_job",
    selection=INPUT_SELECTION,
    executor_def=dg.in_process_executor,
    description="Load the new files of the inbox.",
)
