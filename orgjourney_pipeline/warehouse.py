"""The DuckDB warehouse: connect, upgrade the schema from `sql/schema/`, run transactions.

Every connection is set to UTC (instants are stored as naive UTC timestamps), and DuckDB's
threads and memory limit follow the machine. Schema files are applied in name order and
recorded in `schema_migrations`, so a warehouse made by an older version upgrades itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

from orgjourney_pipeline.settings import sql_dir


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's write lock for longer than we wait."""


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and upgrade the warehouse at `path`.

    DuckDB allows one writing process per file: a second one waits up to `wait_seconds`
    (default `ORGJOURNEY_LOCK_WAIT`, else 60 s) and then raises `WarehouseBusy`.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    if wait_seconds is None:
        wait_seconds = float(os.environ.get("ORGJOURNEY_LOCK_WAIT", "60"))
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=_config())
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{path}: the warehouse is in use by another orgjourney process "
                    f"(waited {wait_seconds:g} s); try again when it has finished"
                ) from error
            time.sleep(0.2)
    con.execute("set TimeZone = 'UTC'")
    if not read_only:
        upgrade(con)
    return con


def _config() -> dict[str, str]:
    """Threads and memory from the machine; spill to a temp folder beside the warehouse."""
    memory = psutil.virtual_memory().total
    return {
        "threads": str(max(1, os.cpu_count() or 1)),
        "memory_limit": f"{int(memory * 0.6 / 2**20)}MB",
        "preserve_insertion_order": "false",
    }


def schema_files() -> list[Path]:
    """The schema files in the order they are applied."""
    return sorted((sql_dir() / "schema").glob("*.sql"))


def upgrade(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the schema files not yet recorded in `schema_migrations`; return their names."""
    con.execute(
        "create table if not exists schema_migrations ("
        " name varchar primary key, checksum varchar not null, applied_at timestamp not null)"
    )
    applied = {name for (name,) in con.execute("select name from schema_migrations").fetchall()}
    newly_applied = []
    for path in schema_files():
        if path.name in applied:
            continue
        text = path.read_text()
        with transaction(con):
            con.execute(text)
            con.execute(
                "insert into schema_migrations values (?, ?, ?)",
                [path.name, hashlib.sha256(text.encode()).hexdigest(), utc_now()],
            )
        newly_applied.append(path.name)
    return newly_applied


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, commit: bool = True) -> Iterator[None]:
    """One transaction: committed on success (rolled back if `commit` is false or on error)."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit" if commit else "rollback")


def utc_now() -> datetime:
    """The wall clock as a naive UTC timestamp, as the warehouse stores instants."""
    return datetime.now(UTC).replace(tzinfo=None)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table or view, in order."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return dict(rows)
