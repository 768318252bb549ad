"""The assets are the contract's tables: their specs, lineage, and what a materialization says.

Ingest writes the input tables; each hourly window writes the window tables, one partition
per window, and then its export files. A table's description is its warehouse comment
(`sql/comments/`, read from the files so that loading the code location opens no warehouse);
every materialization carries the table's `dagster/column_schema` and its
`dagster/row_count`: the rows the window wrote where the table has a column stamped with the
window end (`contract.WINDOW_COLUMNS`), else the rows of the whole table.

`window_materializations` is the one place that turns committed windows of the `runs` ledger
into materializations: the window asset uses it for the windows a run processed, the ledger
sensor for the windows processed outside Dagster.

Lineage follows the order of a window (SPEC section 2): activity, unsubscribes, conversions,
exits and entries, steps, sends; `runs` is written last, the exports after the commit. Edges
go from what a step reads to what it writes; a window also reads what earlier windows wrote
(conversions look back at sends), which lineage leaves out, as it must stay acyclic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import dagster as dg
import duckdb

from orgjourney_pipeline import contract, exports, warehouse
from orgjourney_pipeline.pipeline import ProcessedWindow
from orgjourney_pipeline.timeutil import format_instant

GROUP = "orgjourney"

INPUT_TABLES = ("organizations", "contacts", "memberships", "subscriptions", "activities")

# Each window table and the tables a window reads to write it.
WINDOW_TABLES: dict[str, tuple[str, ...]] = {
    "journeys": (),
    "org_activity": ("activities", "memberships"),
    "unsubscribes": ("activities", "subscriptions"),
    "conversions": ("activities", "journeys"),
    "enrollments": (
        "organizations",
        "contacts",
        "memberships",
        "org_activity",
        "conversions",
        "journeys",
    ),
    "enrollment_steps": ("enrollments",),
    "sends": ("enrollment_steps", "contacts", "subscriptions", "unsubscribes"),
    "suppressions": ("enrollment_steps", "contacts", "subscriptions", "unsubscribes"),
    "org_updates": ("enrollment_steps",),
    "runs": ("sends", "suppressions", "org_updates", "conversions", "org_activity"),
}

SENDS_EXPORT = dg.AssetKey(["exports", "sends"])
ORG_UPDATES_EXPORT = dg.AssetKey(["exports", "org_updates"])
# Each export, the table whose window rows it writes, and what it is.
EXPORTS: dict[dg.AssetKey, tuple[str, str]] = {
    SENDS_EXPORT: (
        "sends",
        "The send batches of each window for the email and SMS providers: its sends per "
        "journey, step and channel as CSV and Parquet, under "
        "exports/sends/run=<window end>/journey=<id>/step=<id>/channel=<channel>/.",
    ),
    ORG_UPDATES_EXPORT: (
        "org_updates",
        "The organization updates of each window for CRM writeback, as CSV and Parquet, "
        "under exports/org_updates/run=<window end>/.",
    ),
}

WINDOW_ASSET_KEYS = [dg.AssetKey(table) for table in WINDOW_TABLES] + list(EXPORTS)


def input_specs() -> list[dg.AssetSpec]:
    """The tables ingest writes."""
    descriptions = contract.descriptions()
    return [_table_spec(table, descriptions, ()) for table in INPUT_TABLES]


def window_specs(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetSpec]:
    """The tables each window writes, then its exports, partitioned by window."""
    descriptions = contract.descriptions()
    specs = [
        _table_spec(table, descriptions, upstream, partitions_def)
        for table, upstream in WINDOW_TABLES.items()
    ]
    for key, (table, description) in EXPORTS.items():
        specs.append(
            dg.AssetSpec(
                key,
                deps=[table, "runs"],
                description=description,
                kinds={"csv", "parquet"},
                group_name=GROUP,
                partitions_def=partitions_def,
                skippable=True,
            )
        )
    return specs


def _table_spec(
    table: str,
    descriptions: Mapping[str, str],
    upstream: Iterable[str],
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetSpec:
    return dg.AssetSpec(
        table,
        deps=list(upstream),
        description=descriptions.get(table),
        kinds={"duckdb"},
        group_name=GROUP,
        partitions_def=partitions_def,
        # The window asset records each window's partition itself, with that window's rows.
        skippable=partitions_def is not None,
    )


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    """The table's columns and their DuckDB types."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, data_type)
            for name, data_type in warehouse.table_columns(con, table).items()
        ]
    )


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, object]:
    """`dagster/row_count` (the whole table) and `dagster/column_schema`."""
    return {
        "dagster/row_count": contract.row_count(con, table),
        "dagster/column_schema": column_schema(con, table),
    }


def window_materializations(
    con: duckdb.DuckDBPyConnection,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    windows: list[ProcessedWindow],
    processed_by: Mapping[datetime, str],
) -> list[dg.AssetMaterialization]:
    """A materialization of every window asset for each committed window that is a partition.

    `processed_by` says, per window start, who processed it (e.g. "this run"); the others
    are described from the ledger. An export is materialized only once its files are
    complete.
    """
    first = naive_utc(partitions_def.start)
    windows = [window for window in windows if window.start >= first]
    if not windows:
        return []
    since, until = windows[0].start, windows[-1].end
    schemas = {table: column_schema(con, table) for table in WINDOW_TABLES}
    per_window = {
        table: contract.window_row_counts(con, table, since, until)
        for table in WINDOW_TABLES
        if table in contract.WINDOW_COLUMNS
    }
    totals = {
        table: contract.row_count(con, table)
        for table in WINDOW_TABLES
        if table not in contract.WINDOW_COLUMNS
    }
    events = []
    for window in windows:
        partition = partition_key(partitions_def, window.start)
        about = _window_metadata(window, processed_by.get(window.start))
        for table in WINDOW_TABLES:
            rows = per_window[table].get(window.end, 0) if table in per_window else totals[table]
            metadata = {**about, "dagster/row_count": rows, "dagster/column_schema": schemas[table]}
            events.append(dg.AssetMaterialization(table, partition=partition, metadata=metadata))
        if not window.exported:
            continue
        for key, (table, _) in EXPORTS.items():
            rows = per_window[table].get(window.end, 0)
            metadata = {**about, "dagster/row_count": rows, "files": _export_folder(key, window)}
            events.append(dg.AssetMaterialization(key, partition=partition, metadata=metadata))
    return events


def naive_utc(instant: datetime) -> datetime:
    """A partition bound as the warehouse stores instants: naive UTC."""
    return instant.astimezone(UTC).replace(tzinfo=None)


def partition_key(partitions_def: dg.TimeWindowPartitionsDefinition, start: datetime) -> str:
    """The partition of the window starting at `start` (naive UTC)."""
    return start.strftime(partitions_def.fmt)


def _window_metadata(window: ProcessedWindow, processed_by: str | None) -> dict[str, object]:
    return {
        "window": f"{format_instant(window.start)} .. {format_instant(window.end)}",
        "processed_by": processed_by or "the runs ledger (processed outside this run)",
        "processed_at": format_instant(window.finished_at),
    }


def _export_folder(key: dg.AssetKey, window: ProcessedWindow) -> str:
    """The export folder of the window, relative to the exports folder (`exports.export_window`)."""
    return f"{key.path[-1]}/{exports.run_folder(window.end)}/"
