"""The warehouse as a Dagster resource: the same paths, engine and connection as the CLI.

Paths left unset resolve through `Settings.resolve()` when the resource is used (explicit
value, then `ORGJOURNEY_*` variables, then the defaults under `data/`), never at import time.

`engine` chooses DuckDB (the embedded file, the default) or Spark (`--engine spark`, SPEC
section 7): the assets write through `writer()`, which ingests and runs with that engine's
functions, the CLI's own, and read through `connect(read_only=True)`, which on Spark is an
embedded DuckDB over the committed Parquet (`spark_pipeline.open_reader`), as the CLI's read
commands are. The Spark session is made with orgjourney's settings (`engines.spark.session`),
the resource's `spark_conf` over them: what dagster-pyspark's `PySparkResource` would hold
(its `spark_config`), without it: its newest release pins an older Dagster than this
project's (docs/spark.md, "In Dagster").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import dagster as dg
import duckdb
from pydantic import Field

from orgjourney_pipeline import ingest, pipeline, warehouse
from orgjourney_pipeline.settings import Settings
from orgjourney_pipeline.windows.run import RunReport
from orgjourney_pipeline.windows.window import WindowResult


class OrgjourneyResource(dg.ConfigurableResource):
    """The warehouse (DuckDB file or Spark directory) and the folders orgjourney reads and
    writes.

    It opens a DuckDB warehouse through `warehouse.connect`, not dagster-duckdb's
    `DuckDBResource`, so every connection gets what the CLI's gets: the schema upgrade, the
    UTC time zone, and a clear `WarehouseBusy` after waiting for another writer's lock.
    """

    warehouse: str | None = Field(
        default=None,
        description=(
            "DuckDB file, or the Spark warehouse directory; default ORGJOURNEY_WAREHOUSE, "
            "else data/."
        ),
    )
    journeys: str | None = Field(
        default=None, description="Journey YAML folder; default ORGJOURNEY_JOURNEYS, else data/."
    )
    inbox: str | None = Field(
        default=None, description="Input files folder; default ORGJOURNEY_INBOX, else data/."
    )
    exports: str | None = Field(
        default=None,
        description="Exports folder; default ORGJOURNEY_EXPORTS, else beside the warehouse.",
    )
    lock_wait_seconds: float | None = Field(
        default=None,
        description=(
            "How long to wait for another process's write lock on the warehouse before "
            "failing; default ORGJOURNEY_LOCK_WAIT, else 60 s."
        ),
    )
    engine: str | None = Field(
        default=None,
        description="duckdb or spark (SPEC section 7); default ORGJOURNEY_ENGINE, else duckdb.",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Spark settings of the session (as `--spark-conf KEY=VALUE`, over "
            "ORGJOURNEY_SPARK_CONF), e.g. spark.master; the contract's own settings win."
        ),
    )

    def settings(self) -> Settings:
        """The resolved paths and engine, exactly as the CLI would resolve them."""
        return Settings.resolve(
            warehouse=self.warehouse,
            journeys=self.journeys,
            inbox=self.inbox,
            exports=self.exports,
            engine=self.engine,
            spark_conf=tuple(self.spark_conf.items()),
        )

    @contextmanager
    def connect(
        self, *, read_only: bool = False, wait_seconds: float | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A warehouse connection (schema upgraded, UTC), closed when the block ends.

        `wait_seconds` overrides `lock_wait_seconds` (a sensor's tick waits for no writer).
        On Spark it reads the committed tables (never waiting) and cannot write.
        """
        settings = self.settings()
        if settings.engine == "spark":
            if not read_only:
                raise ValueError("a Spark warehouse is written through writer(), not connect()")
            from orgjourney_pipeline import spark_pipeline

            con = spark_pipeline.open_reader(settings)
        else:
            wait = self.lock_wait_seconds if wait_seconds is None else wait_seconds
            con = warehouse.connect(settings.warehouse, read_only=read_only, wait_seconds=wait)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def writer(self) -> Iterator[WarehouseWriter]:
        """What the assets write with: ingest, run and export on the resource's engine."""
        settings = self.settings()
        if settings.engine == "spark":
            from orgjourney_pipeline import spark_pipeline

            yield SparkWriter(settings, spark_pipeline.open_engine(settings))
        else:
            with self.connect() as con:
                yield DuckDBWriter(settings, con)


class WarehouseWriter(Protocol):
    """One engine's ingest, run and export, and `reading()` for what the asset reports."""

    settings: Settings

    def ingest(self, paths: Sequence[Path], **options) -> ingest.IngestReport: ...

    def run_and_export(
        self,
        through: datetime,
        start: datetime | None,
        on_window: Callable[[WindowResult], None],
    ) -> RunReport: ...

    def reading(
        self, tables: Sequence[str] | None = None
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection that sees what this writer has committed: every table, or at least
        `tables` (on Spark each read copies the committed rows of what it reads)."""
        ...


@dataclass
class DuckDBWriter:
    """The DuckDB file: one connection writes, and reads what it wrote."""

    settings: Settings
    con: duckdb.DuckDBPyConnection

    def ingest(self, paths, **options):
        return ingest.ingest_paths(self.con, paths, **options)

    def run_and_export(self, through, start, on_window):
        return pipeline.run_and_export(self.con, self.settings, through, start, on_window=on_window)

    @contextmanager
    def reading(self, tables=None):
        yield self.con


@dataclass
class SparkWriter:
    """The Spark warehouse: the session writes; each read opens the committed Parquet."""

    settings: Settings
    engine: object  # engines.spark.SparkEngine (pyspark is imported only on this engine)

    def ingest(self, paths, **options):
        from orgjourney_pipeline import spark_pipeline

        return spark_pipeline.ingest(self.engine, paths, **options)

    def run_and_export(self, through, start, on_window):
        from orgjourney_pipeline import spark_pipeline

        return spark_pipeline.run_and_export(
            self.engine, self.settings, through, start, on_window=on_window
        )

    @contextmanager
    def reading(self, tables=None):
        from orgjourney_pipeline import spark_pipeline

        con = spark_pipeline.open_reader(self.settings, tables)
        try:
            yield con
        finally:
            con.close()
