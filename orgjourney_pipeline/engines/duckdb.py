"""The DuckDB engine: the embedded warehouse file, one transaction per window.

Writes that DuckDB has no single statement for are composed of a staging table and a delete
(`upsert`, `replace`), inside the window's transaction, so a crash leaves nothing half-done.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.warehouse import table_columns, transaction

_STAGE = "_step_rows"


class DuckDBEngine:
    """An engine over one DuckDB connection."""

    dialect = "duckdb"
    errors = (duckdb.Error,)

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        con, name = self.con, _identifier(target)
        if mode == "view":
            con.execute(f"create or replace temp view {name} as {select}")
            return 0
        if mode == "temp":
            con.execute(f"create or replace temp table {name} as {select}")
            return con.execute(f"select count(*) from {name}").fetchone()[0]
        if mode == "append":
            # One statement: DuckDB's INSERT returns how many rows it wrote.
            return con.execute(f"insert into {name} by name {select}").fetchone()[0]
        con.execute(f"create or replace temp table {_STAGE} as {select}")
        if mode == "replace":
            con.execute(f"delete from {name}")
        elif mode == "upsert":
            matches = " and ".join(
                f"{name}.{column} = {_STAGE}.{column}" for column in map(_identifier, keys)
            )
            con.execute(f"delete from {name} using {_STAGE} where {matches}")
        else:
            raise ValueError(f"unknown write mode {mode!r}")
        return con.execute(f"insert into {name} by name select * from {_STAGE}").fetchone()[0]

    def register(self, name: str, rows: pa.Table) -> None:
        view = f"_arrow_{name}"
        self.con.register(view, rows)
        try:
            self.con.execute(
                f"create or replace temp table {_identifier(name)} as select * from {view}"
            )
        finally:
            self.con.unregister(view)

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        return self.con.execute(select).fetchall()

    def arrow(self, select: str) -> pa.Table:
        return self.con.execute(select).to_arrow_table()

    def columns(self, table: str) -> dict[str, str]:
        return table_columns(self.con, table)

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[None]:
        with transaction(self.con, commit=commit):
            yield


def _identifier(name: str) -> str:
    return exp.to_identifier(name).sql(dialect="duckdb")
