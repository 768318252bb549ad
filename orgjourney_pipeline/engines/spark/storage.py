"""The Spark warehouse on disk: plain Parquet tables of the `orgjourney` database, partitioned
by commit, and which partitions are committed.

    <warehouse>/orgjourney.db/<table>/<window_key|load_key>=<key>/part-*.parquet

Every table belongs to a family with its commit marker: the tables a window writes
(`window_key`, marker `runs`) and those `ingest` writes (`load_key`, marker
`ingested_files`). A commit writes each of its tables' partition `key` (a named partition
overwrite, so a redone commit replaces what a crashed one left, even with no rows), and its
marker's partition last: a family's committed keys are those up to the marker's newest.

- A table that grows (`sends`, `activities`, ..) is the union of its committed partitions.
- A state (`active_enrollments`, the rollups, the snapshot history) is rewritten whole by a
  commit that changes it: its current rows are its newest committed partition.

The partition `<column>=0` of every table holds one empty Parquet file: the table's schema
(so an empty table has its columns, for Spark and DuckDB readers alike).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATABASE = "orgjourney"
SCHEMA_KEY = "0"
SCHEMA_FILE = "schema.parquet"


@dataclass(frozen=True)
class Family:
    """Tables committed together, their partition column and their commit marker."""

    column: str
    marker: str
    grows: tuple[str, ...]
    states: tuple[str, ...]

    @property
    def tables(self) -> tuple[str, ...]:
        return self.grows + self.states


WINDOWS = Family(
    "window_key",
    "runs",
    grows=(
        "runs",
        "sends",
        "suppressions",
        "enrollment_steps",
        "org_updates",
        "conversions",
        "unsubscribes",
        "ended_enrollments",
        "journey_runs",
        "date_entries",
        "exported_windows",
        "enrollment_contacts",
    ),
    states=(
        "journeys",
        "entry_matches",
        "active_enrollments",
        "contact_activity",
        "contact_activity_recent",
    ),
)
LOADS = Family(
    "load_key",
    "ingested_files",
    grows=("ingested_files", "rejected_rows", "activities", "snapshot_files", "custom_fields"),
    states=(
        "organization_versions",
        "contact_versions",
        "membership_versions",
        "subscription_versions",
    ),
)
FAMILIES = (WINDOWS, LOADS)


def family_of(table: str) -> Family | None:
    """The family of a contract table (None: a table of the window only, not stored)."""
    return next((family for family in FAMILIES if table in family.tables), None)


def window_key(window_end: datetime) -> str:
    """The partition key of a window (sortable, a valid path on every file system)."""
    return f"{window_end:%Y%m%dT%H%M}"


def load_key(last_load_seq: int) -> str:
    """The partition key of an ingest (the last load sequence it used)."""
    return f"L{last_load_seq:012d}"


class SparkWarehouse:
    """The folders of one Spark warehouse directory."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory).resolve()
        self.database_dir = self.directory / f"{DATABASE}.db"

    def table_dir(self, table: str) -> Path:
        return self.database_dir / table

    def partition_dir(self, table: str, key: str) -> Path:
        return self.table_dir(table) / f"{family_of(table).column}={key}"

    def exists(self) -> bool:
        return (self.table_dir(WINDOWS.marker) / f"{WINDOWS.column}={SCHEMA_KEY}").is_dir()

    def create(self, schemas: dict[str, pa.Schema]) -> None:
        """Make every table's folder and schema file (those missing; existing ones stay)."""
        for table, schema in schemas.items():
            if family_of(table) is None:
                continue
            if not (self.partition_dir(table, SCHEMA_KEY) / SCHEMA_FILE).exists():
                self.write_schema(table, schema)

    def write_schema(self, table: str, schema: pa.Schema) -> None:
        """Record a table's columns (a new column of a snapshot history: its schema grows)."""
        folder = self.partition_dir(table, SCHEMA_KEY)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{SCHEMA_FILE}.{os.getpid()}"
        pq.write_table(schema.empty_table(), temporary)
        os.replace(temporary, folder / SCHEMA_FILE)

    def schema(self, table: str) -> pa.Schema:
        """A table's columns (without its partition column)."""
        return pq.read_schema(self.partition_dir(table, SCHEMA_KEY) / SCHEMA_FILE)

    def keys(self, table: str) -> list[str]:
        """The keys of a table's partitions, in order (the schema's `0` first)."""
        prefix = f"{family_of(table).column}="
        folder = self.table_dir(table)
        if not folder.is_dir():
            return []
        return sorted(
            entry.name[len(prefix) :]
            for entry in os.scandir(folder)
            if entry.is_dir() and entry.name.startswith(prefix)
        )

    def committed(self, family: Family) -> str:
        """The newest committed key of a family (`0` before any commit)."""
        return self.keys(family.marker)[-1] if self.keys(family.marker) else SCHEMA_KEY

    def visible_keys(self, table: str, committed: str | None = None) -> list[str]:
        """The partitions a reader sees: every committed one of a table that grows, the newest
        committed one of a state."""
        family = family_of(table)
        committed = self.committed(family) if committed is None else committed
        keys = [key for key in self.keys(table) if key <= committed]
        return keys if table in family.grows else keys[-1:]

    def visible_files(self, table: str, committed: str | None = None) -> list[Path]:
        """The Parquet files of the visible partitions (the schema file included)."""
        return [
            path
            for key in self.visible_keys(table, committed)
            for path in sorted(self.partition_dir(table, key).glob("*.parquet"))
        ]

    def remove_uncommitted(self, family: Family) -> None:
        """Drop the partitions a crashed commit left (keys newer than the committed one)."""
        committed = self.committed(family)
        for table in family.tables:
            for key in self.keys(table):
                if key > committed:
                    shutil.rmtree(self.partition_dir(table, key), ignore_errors=True)

    def remove_old_states(self, family: Family, keep: int = 2) -> None:
        """Keep the newest `keep` committed snapshots of each state (readers may be on the one
        before the newest), and the schema."""
        committed = self.committed(family)
        for table in family.states:
            old = [key for key in self.keys(table) if SCHEMA_KEY < key <= committed]
            for key in old[:-keep]:
                shutil.rmtree(self.partition_dir(table, key), ignore_errors=True)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writing process at a time (a file lock; readers never take it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".orgjourney-writer.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@cache
def contract_schemas() -> dict[str, pa.Schema]:
    """Every table's columns as DuckDB's schema files make them (the one source of both)."""
    from orgjourney_pipeline import warehouse

    con = warehouse.connect(":memory:")
    try:
        names = [name for (name,) in con.execute(_BASE_TABLES).fetchall()]
        return {
            name: con.sql(f'select * from "{name}" limit 0').to_arrow_table().schema
            for name in names
        }
    finally:
        con.close()


_BASE_TABLES = (
    "select table_name from information_schema.tables "
    "where table_type = 'BASE TABLE' and table_schema = 'main' order by table_name"
)
