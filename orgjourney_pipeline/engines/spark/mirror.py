"""An embedded DuckDB copy of a Spark warehouse's committed tables.

DuckDB reads the Spark tables' Parquet files (the committed partitions only), so the rules
that DuckDB's SQL already states once — ingest's reasons, rejects, dedupe and snapshot
history, the exports' layout, the reports, the checks, the read commands — run unchanged
over the same rows, and what ingest adds is written back through Spark (`spark_pipeline`).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from orgjourney_pipeline import warehouse as duckdb_warehouse
from orgjourney_pipeline.engines.spark.storage import FAMILIES, SparkWarehouse, family_of


def open_mirror(
    warehouse: SparkWarehouse, tables: Iterable[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB warehouse holding the committed rows of `tables` (default all)."""
    con = duckdb_warehouse.connect(":memory:")
    wanted = set(tables) if tables is not None else None
    for family in FAMILIES:
        committed = warehouse.committed(family)
        for table in family.tables:
            if wanted is None or table in wanted:
                copy_table(con, warehouse, table, committed)
    if wanted is None or "organization_versions" in wanted:
        duckdb_warehouse.create_organizations_view(con)  # with the copied custom columns
    return con


def copy_table(
    con: duckdb.DuckDBPyConnection,
    warehouse: SparkWarehouse,
    table: str,
    committed: str,
    *,
    only: str | None = None,
) -> None:
    """Insert a table's visible rows (or those of its partition `only`) into the mirror's
    table, columns it lacks added first."""
    if family_of(table) is None or not warehouse.table_dir(table).is_dir():
        return
    if only is not None:
        files = [str(p) for p in sorted(warehouse.partition_dir(table, only).glob("*.parquet"))]
    else:
        files = [str(path) for path in warehouse.visible_files(table, committed)]
    if not files:
        return
    source = f"read_parquet({_list(files)}, union_by_name = true, hive_partitioning = false)"
    present = {name for (name, *_rest) in con.execute(f'describe "{table}"').fetchall()}
    for name, kind, *_rest in con.execute(f"describe select * from {source}").fetchall():
        if name not in present:
            con.execute(f'alter table "{table}" add column "{name}" {kind}')
    con.execute(f'insert into "{table}" by name select * from {source}')


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + path.replace("'", "''") + "'" for path in files) + "]"
