"""The commands' work on `--engine spark` (SPEC section 7): ingest, run and export over a
Spark warehouse directory, and the read side.

- `run` executes the windows on Spark (`engines.spark.SparkEngine`): the same step files,
  carried by sqlglot; each window's partitions are written, its `runs` partition last.
- `ingest` applies the rules of SPEC section 1 with the statements DuckDB runs (one home for
  them: `ingest/`), over an embedded copy of the committed history, and writes what it added
  through Spark as the partitions of one load, the file ledger (`ingested_files`) last.
- the read commands (`report`, `export`, `status`, `fields`, `preview`, `check`, ..) read the
  committed Parquet through DuckDB (`engines.spark.mirror`), so they see committed windows only
  and never wait for a writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orgjourney_pipeline import exports
from orgjourney_pipeline.engines.spark.engine import SparkEngine
from orgjourney_pipeline.engines.spark.mirror import copy_table, open_mirror
from orgjourney_pipeline.engines.spark.session import start_session
from orgjourney_pipeline.engines.spark.storage import (
    LOADS,
    SparkWarehouse,
    load_key,
    window_key,
)
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.windows.run import RunReport, run_windows
from orgjourney_pipeline.windows.window import WindowResult

# The column that says which load a row of a growing ingest table came from.
LOAD_COLUMNS = {"custom_fields": "first_seen_load_seq"}
EXPORT_TABLES = ("runs", "sends", "org_updates", "exported_windows")


def open_engine(settings: Settings) -> SparkEngine:
    """A Spark session over the settings' warehouse directory, and its engine."""
    session = start_session(settings.warehouse, dict(settings.spark_conf))
    return SparkEngine(session, SparkWarehouse(settings.warehouse))


def open_reader(
    settings: Settings, tables: Sequence[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """The committed tables of the Spark warehouse (or of `tables` only), read by an embedded
    DuckDB."""
    return open_mirror(SparkWarehouse(settings.warehouse), tables)


def ingest(engine: SparkEngine, paths: Sequence[Path], **options):
    """Load files or folders into the Spark warehouse; the ingest report."""
    from orgjourney_pipeline.ingest import ingest_paths

    warehouse = engine.warehouse
    with warehouse.writer_lock():
        warehouse.remove_uncommitted(LOADS)
        con = open_mirror(warehouse, LOADS.tables)
        try:
            before = _last_load_seq(warehouse)
            con.execute("drop sequence if exists load_seq_counter")
            con.execute(f"create sequence load_seq_counter start {before + 1}")
            report = ingest_paths(con, paths, **options)
            after = _sequence_value(con, before)
            if after > before:
                engine.commit_family(LOADS, load_key(after), _new_load_rows(engine, con, before))
        finally:
            con.close()
        engine.refresh()
    return report


def run_and_export(
    engine: SparkEngine,
    settings: Settings,
    through: datetime,
    start: datetime | None = None,
    *,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every unprocessed window through `through` on Spark, exporting each as it
    commits (and first any committed window a crash left unexported)."""
    warehouse = engine.warehouse
    with warehouse.writer_lock():
        con = open_mirror(warehouse, EXPORT_TABLES)
        try:
            if not dry_run:
                exports.remove_partials(settings.exports)
                for window_end in exports.export_pending_windows(con, settings.exports):
                    _record_exported(engine, con, window_end)

            def after_window(result: WindowResult) -> None:
                if not dry_run:
                    key = window_key(result.window.end)
                    for table in ("runs", "sends", "org_updates"):
                        copy_table(con, warehouse, table, key, only=key)
                    exports.export_window(con, result.window.end, settings.exports)
                    _record_exported(engine, con, result.window.end)
                if on_window is not None:
                    on_window(result)

            return run_windows(
                engine,
                through,
                start,
                journeys_dir=settings.journeys,
                dry_run=dry_run,
                on_window=after_window,
            )
        finally:
            con.close()


def _record_exported(engine: SparkEngine, con: duckdb.DuckDBPyConnection, window_end) -> None:
    """The mirror's `exported_windows` row of a window, written to its Spark partition."""
    rows = con.sql(
        "select * from exported_windows where window_end = $end", params={"end": window_end}
    ).to_arrow_table()
    engine.write_partition("exported_windows", window_key(window_end), rows)


def _last_load_seq(warehouse: SparkWarehouse) -> int:
    committed = warehouse.committed(LOADS)
    return int(committed[1:]) if committed.startswith("L") else 0


def _sequence_value(con: duckdb.DuckDBPyConnection, before: int) -> int:
    try:
        return con.execute("select currval('load_seq_counter')").fetchall()[0][0]
    except duckdb.Error:  # no file was loaded: the sequence was never used
        return before


def _new_load_rows(engine: SparkEngine, con: duckdb.DuckDBPyConnection, before: int) -> dict:
    """Per table of the load family: its rows of this load (a history: all of it)."""
    frames = {}
    for table in LOADS.tables:
        if table in LOADS.grows:
            column = LOAD_COLUMNS.get(table, "load_seq")
            query = f'select * from "{table}" where "{column}" > {int(before)}'
        else:
            query = f'select * from "{table}"'
        rows = con.sql(query).to_arrow_table()
        schema = engine.warehouse.schema(table)
        if rows.schema.names != schema.names:
            engine.evolve_schema(table, _storage_schema(rows.schema))
            schema = engine.warehouse.schema(table)
        frames[table] = engine.spark.createDataFrame(_as_stored(rows, schema))
    return frames


def _storage_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _storage_type(f.type)) for f in schema])


def _storage_type(kind: pa.DataType) -> pa.DataType:
    return kind.storage_type if isinstance(kind, pa.ExtensionType) else kind


def _as_stored(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """The rows in the stored columns and types (an extension type as its storage)."""
    columns = []
    for field in schema:
        column = rows.column(field.name)
        if isinstance(column.type, pa.ExtensionType):
            column = pa.chunked_array(
                [chunk.storage for chunk in column.chunks], column.type.storage_type
            )
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)
