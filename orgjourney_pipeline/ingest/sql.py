"""Ingest's SQL: statements from `sql/ingest/`, expressions from `sql/ingest/values/`.

Python composes nothing by formatting text: a statement's placeholders are bound to sqlglot
literals (values), identifiers (tables and columns) or expressions built here or read from
the one-expression files under `sql/ingest/values/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
from sqlglot import exp

from orgjourney_pipeline import sqlfiles

# Temp objects of one file's load (connection-local; dropped after each file).
CSV_VIEW = "_ingest_csv"
PARQUET_VIEW = "_ingest_parquet"
RAW_LINES = "_ingest_raw_lines"
LINES = "_ingest_lines"
JSON_SOURCE = "_ingest_json"
STAGE = "_ingest_stage"
SNAP = "_ingest_snap"
CURRENT = "_ingest_current"
CHANGED = "_ingest_changed"
MERGED = "_ingest_merged"
TEMP_TABLES = (RAW_LINES, LINES, JSON_SOURCE, STAGE, SNAP, CURRENT, CHANGED, MERGED)


def statement(name: str, /, **values: Any) -> exp.Expression:
    """The statement of `sql/ingest/<name>.sql` with its placeholders bound."""
    return sqlfiles.load(f"ingest/{name}.sql").bind(**values)


def run(con: duckdb.DuckDBPyConnection, name: str, /, **values: Any) -> duckdb.DuckDBPyConnection:
    """Execute `sql/ingest/<name>.sql` with its placeholders bound."""
    return execute(con, statement(name, **values))


def execute(con: duckdb.DuckDBPyConnection, tree: exp.Expression) -> duckdb.DuckDBPyConnection:
    """Execute a bound statement tree."""
    return con.execute(tree.sql(dialect="duckdb", comments=False))


def relation(
    con: duckdb.DuckDBPyConnection, name: str, /, **values: Any
) -> duckdb.DuckDBPyRelation:
    """`sql/ingest/<name>.sql` as a relation (a query, read by the caller as Arrow)."""
    return con.sql(statement(name, **values).sql(dialect="duckdb", comments=False))


def scalar(con: duckdb.DuckDBPyConnection, name: str, /, **values: Any) -> Any:
    """The single value `sql/ingest/<name>.sql` returns."""
    return run(con, name, **values).fetchall()[0][0]


def expression(name: str, /, **values: Any) -> exp.Expression:
    """The expression of `sql/ingest/values/<name>.sql` (a `select <expression> as value`)."""
    select = sqlfiles.load(f"ingest/values/{name}.sql").bind(**values)
    return select.expressions[0].unalias()


def ident(name: str) -> exp.Identifier:
    """A quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def column(name: str, table: str | None = None) -> exp.Column:
    """A quoted column, optionally qualified by a table or alias."""
    return exp.column(ident(name), table=exp.to_identifier(table) if table else None)


def text(value: str) -> exp.Literal:
    """A string literal."""
    return exp.Literal.string(value)


def alias(expression: exp.Expression, name: str) -> exp.Alias:
    """`expression as "name"`."""
    return exp.alias_(expression, ident(name))


def same_key(keys: Iterable[str], left: str, right: str) -> exp.Expression:
    """`left.k1 = right.k1 and ...` over the keys."""
    return exp.and_(*(column(key, left).eq(column(key, right)) for key in keys))


def struct_type(names: Iterable[str], type_name: str) -> exp.Struct:
    """A struct literal {'name': 'TYPE', ...} (read_csv's `columns`)."""
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=ident(name), expression=text(type_name)) for name in names]
    )
