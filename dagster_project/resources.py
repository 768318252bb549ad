"""The warehouse as a Dagster resource: the same paths and connection as the CLI.

Paths left unset resolve through `Settings.resolve()` when the resource is used (explicit
value, then `ORGJOURNEY_*` variables, then the defaults under `data/`), never at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from pydantic import Field

from orgjourney_pipeline import warehouse
from orgjourney_pipeline.settings import Settings


class OrgjourneyResource(dg.ConfigurableResource):
    """The DuckDB warehouse and the folders orgjourney reads and writes.

    It opens the warehouse through `warehouse.connect`, not dagster-duckdb's `DuckDBResource`,
    so every connection gets what the CLI's gets: the schema upgrade, the UTC time zone, and
    a clear `WarehouseBusy` after waiting for another writer's lock.
    """

    warehouse: str | None = Field(
        default=None, description="DuckDB file; default ORGJOURNEY_WAREHOUSE, else data/."
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

    def settings(self) -> Settings:
        """The resolved paths, exactly as the CLI would resolve them."""
        return Settings.resolve(
            warehouse=self.warehouse, journeys=self.journeys, inbox=self.inbox, exports=self.exports
        )

    @contextmanager
    def connect(
        self, *, read_only: bool = False, wait_seconds: float | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A warehouse connection (schema upgraded, UTC), closed when the block ends.

        `wait_seconds` overrides `lock_wait_seconds` (a sensor's tick waits for no writer).
        """
        wait = self.lock_wait_seconds if wait_seconds is None else wait_seconds
        con = warehouse.connect(self.settings().warehouse, read_only=read_only, wait_seconds=wait)
        try:
            yield con
        finally:
            con.close()
