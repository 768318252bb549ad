"""The DuckDB engine: the embedded warehouse file, one transaction per window.

Writes that DuckDB has no single statement for are composed of a staging table and a delete
(`upsert`, `replace`), inside the window's transaction, so a crash leaves nothing half-done.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.warehouse import (
    Writer,
    create_organizations_view,
    table_columns,
    transaction,
)

_STAGE = "_step_rows"
_ROWS = "__step_select__"  # where a write's SELECT goes in its statements


class DuckDBEngine:
    """An engine over one DuckDB connection."""

    dialect = "duckdb"
    errors = (duckdb.Error,)

    def __init__(self, con: duckdb.DuckDBPyConnection | Writer):
        self._source = con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection; a `Writer`'s is opened again for each window after a release."""
        return self._source.con if isinstance(self._source, Writer) else self._source

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        *before, last = _write_statements(target, mode, tuple(keys))
        for statement in before:
            self.con.execute(statement.replace(_ROWS, select))
        result = self.con.execute(last.replace(_ROWS, select))
        return 0 if mode == "view" else result.fetchone()[0]

    def register(self, name: str, rows: pa.Table) -> None:
        view = f"_arrow_{name}"
        self.con.register(view, rows)
        try:
            self.con.execute(_create(name, "TABLE", _everything(view)).sql(dialect="duckdb"))
        finally:
            self.con.unregister(view)

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        return self.con.execute(select).fetchall()

    def arrow(self, select: str) -> pa.Table:
        return self.con.execute(select).to_arrow_table()

    def columns(self, table: str) -> dict[str, str]:
        return table_columns(self.con, table)

    def publish_views(self) -> None:
        create_organizations_view(self.con)

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[None]:
        with transaction(self.con, commit=commit):
            yield


@lru_cache(maxsize=512)
def _write_statements(target: str, mode: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The statements of one write, built by sqlglot once per target and mode, with the slot
    `_ROWS` where the step's SELECT goes; the last one's result is the rows written."""
    rows = exp.column(_ROWS)
    if mode == "view":
        return (_sql(_create(target, "VIEW", rows)),)
    if mode == "temp":  # one statement: DuckDB's CREATE TABLE AS returns how many rows
        return (_sql(_create(target, "TABLE", rows)),)
    if mode == "append":  # one statement: DuckDB's INSERT returns how many rows it wrote
        return (_sql(exp.Insert(this=_table(target), expression=rows, by_name=True)),)
    if mode == "replace":
        clear = exp.Delete(this=_table(target))
    elif mode == "upsert":
        matches = [exp.column(key, table=target).eq(exp.column(key, table=_STAGE)) for key in keys]
        clear = exp.Delete(
            this=_table(target), using=[_table(_STAGE)], where=exp.Where(this=exp.and_(*matches))
        )
    else:
        raise ValueError(f"unknown write mode {mode!r}")
    insert = exp.Insert(this=_table(target), expression=_everything(_STAGE), by_name=True)
    return _sql(_create(_STAGE, "TABLE", rows)), _sql(clear), _sql(insert)


def _create(name: str, kind: str, query: exp.Expression) -> exp.Create:
    """`create or replace temp <kind> <name> as <query>`."""
    temporary = exp.Properties(expressions=[exp.TemporaryProperty()])
    return exp.Create(
        this=_table(name), kind=kind, replace=True, properties=temporary, expression=query
    )


def _everything(name: str) -> exp.Select:
    return exp.select("*").from_(_table(name))


def _table(name: str) -> exp.Table:
    """A table by one (quoted where needed) identifier, never parsed as `db.table`."""
    return exp.Table(this=exp.to_identifier(name))


def _sql(statement: exp.Expression) -> str:
    return statement.sql(dialect="duckdb")
