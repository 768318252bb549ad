"""Typing values: custom fields' types, recorded per kind, and each column's typed value.

A custom field's type comes from Parquet's column type, or from the values of a CSV or JSON
Lines column (all columns typed in one pass). A type conflicting with the recorded one turns
the field to text; a field recorded before it had any value takes the type of its first
values. Values are typed by expressions from `sql/ingest/values/`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from sqlglot import exp

from orgjourney_pipeline.ingest import sql
from orgjourney_pipeline.ingest.kinds import (
    CUSTOM_SQL_TYPES,
    DATE_RE,
    DATETIME_RE,
    HISTORY_COLUMNS,
    NUMBER_RE,
    NUMERIC_TYPES,
    TIMESTAMP_RE,
    TIMESTAMP_UPPER_RE,
    Kind,
)
from orgjourney_pipeline.ingest.readers import Source
from orgjourney_pipeline.warehouse import table_columns


@dataclass
class Column:
    """One column to stage: where it comes from in the file and the type it must have."""

    name: str  # the column in the warehouse (or an internal name such as __snapshot_at)
    source: str | None  # the file's column, None when the file lacks it
    source_type: str  # the DuckDB type of the file's column
    type: str  # text | tags | timestamp | date | number | bool | status | json


# --- custom fields ---------------------------------------------------------------------------


def custom_field_types(
    con: duckdb.DuckDBPyConnection, spec: Kind, source: Source, names: list[str], load_seq: int
) -> list[tuple[str, str, str]]:
    """(file column, warehouse column, type) of each custom field, recording new ones."""
    if not names:
        return []
    recorded = {
        name.lower(): (name, kind)
        for name, kind in sql.run(con, "recorded_fields", kind=spec.name).fetchall()
    }
    file_types = file_custom_types(con, source, names)
    typed, new_fields = [], []
    for name in names:
        file_type = file_types[name]
        if name.lower() in recorded:
            stored_name, stored_type = recorded[name.lower()]
            if file_type is not None and file_type != stored_type:
                if stored_type != "text":
                    convert_field_to_text(con, spec, stored_name, stored_type)
                    stored_type = "text"
                elif _field_is_empty(con, spec, stored_name):
                    # Recorded as text only for want of values: the first values type it.
                    _retype_empty_field(con, spec, stored_name, file_type)
                    stored_type = file_type
            typed.append((name, stored_name, stored_type))
            continue
        # A column without any value yet is recorded as text until values say otherwise.
        kind = file_type or "text"
        _add_field(con, spec, name, kind)
        new_fields.append((name, kind))
        typed.append((name, name, kind))
    if new_fields:
        sql.run(
            con,
            "record_fields",
            kind=spec.name,
            names=exp.Array(expressions=[sql.text(name) for name, _ in new_fields]),
            types=exp.Array(expressions=[sql.text(kind) for _, kind in new_fields]),
            load_seq=load_seq,
        )
    return typed


def file_custom_types(
    con: duckdb.DuckDBPyConnection, source: Source, names: list[str]
) -> dict[str, str | None]:
    """Each custom column's type in this file (None: no value to tell)."""
    if source.typed:
        types = {name: declared_type(source.columns[name]) for name in names}
        for name in _numbers_losing_digits(con, source, names):
            types[name] = "text"  # as in CSV: an id, not a quantity, kept exact as text
        return types
    texts = [sql.alias(text_expression(sql.column(n, "r"), source.columns[n]), n) for n in names]
    counts = sql.run(
        con,
        "custom_text_counts",
        texts=texts,
        relation=exp.to_identifier(source.relation),
        names=[sql.column(name) for name in names],
        number=NUMBER_RE,
        date=DATE_RE,
        datetime=DATETIME_RE,
    ).fetchall()
    types: dict[str, str | None] = dict.fromkeys(names)
    for name, values, number, date, date_time, boolean in counts:
        if values == 0:
            types[name] = None
        elif number == values:
            types[name] = "number"
        elif date == values:
            types[name] = "date"
        elif date + date_time == values:
            # Dates mixed with date-times: a bare date is midnight UTC, so a timestamp.
            types[name] = "timestamp"
        elif boolean == values:
            types[name] = "bool"
        else:
            types[name] = "text"
    return types


def _numbers_losing_digits(
    con: duckdb.DuckDBPyConnection, source: Source, names: list[str]
) -> list[str]:
    """The typed numeric columns with a value a double would not keep exactly (one pass)."""
    exact_types = [
        (name, source.columns[name])
        for name in names
        if declared_type(source.columns[name]) == "number"
        and source.columns[name].upper() not in ("FLOAT", "DOUBLE")
    ]
    if not exact_types:
        return []
    checks = []
    for name, type_name in exact_types:
        number = sql.column(name, "r")
        declared = exp.DataType.build(type_name, dialect="duckdb")
        round_trip = exp.TryCast(this=exp.cast(number.copy(), "double"), to=declared)
        keeps = sql.expression("keeps_digits", number=number, round_trip=round_trip)
        checks.append(sql.alias(keeps, name))
    relation = exp.to_identifier(source.relation)
    [kept] = sql.run(con, "custom_number_checks", checks=checks, relation=relation).fetchall()
    return [name for (name, _), keeps in zip(exact_types, kept, strict=True) if not keeps]


def declared_type(duckdb_type: str) -> str | None:
    """The custom field type a Parquet column's type declares."""
    upper = duckdb_type.upper()
    if upper == '"NULL"':
        return None
    if upper in NUMERIC_TYPES or upper.startswith("DECIMAL"):
        return "number"
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    if upper == "BOOLEAN":
        return "bool"
    return "text"


def _add_field(con: duckdb.DuckDBPyConnection, spec: Kind, name: str, kind: str) -> None:
    """Add a custom field's column (DuckDB adds one column per ALTER statement)."""
    add = sql.statement("add_field_column", versions=exp.to_identifier(spec.versions))
    definition = add.find(exp.ColumnDef)
    definition.set("this", sql.ident(name))
    definition.set("kind", exp.DataType.build(CUSTOM_SQL_TYPES[kind]))
    sql.execute(con, add)


def _field_is_empty(con: duckdb.DuckDBPyConnection, spec: Kind, name: str) -> bool:
    """Whether no version has a value in the custom field (one column scan)."""
    versions = exp.to_identifier(spec.versions)
    return sql.scalar(con, "field_value_count", column=sql.column(name), versions=versions) == 0


def _retype_empty_field(
    con: duckdb.DuckDBPyConnection, spec: Kind, name: str, new_type: str
) -> None:
    """Give a custom field without any value yet its first type (hashes omit nulls)."""
    alter = sql.statement(
        "retype_field_column", versions=exp.to_identifier(spec.versions), column=sql.column(name)
    )
    alter.find(exp.AlterColumn).set("dtype", exp.DataType.build(CUSTOM_SQL_TYPES[new_type]))
    sql.execute(con, alter)
    sql.run(con, "set_field_type", type=new_type, kind=spec.name, name=name)


def convert_field_to_text(
    con: duckdb.DuckDBPyConnection, spec: Kind, name: str, old_type: str
) -> None:
    """Make a custom field text after a type conflict: the column, its record, the hashes."""
    column = sql.column(name)
    rendered = (
        sql.expression("number_as_text", number=column)
        if old_type == "number"
        else exp.cast(column.copy(), "varchar")
    )
    versions = exp.to_identifier(spec.versions)
    sql.run(con, "field_column_to_text", versions=versions, column=column, rendered=rendered)
    sql.run(con, "set_field_type", type="text", kind=spec.name, name=name)
    if old_type == "number":
        # 5.0 became '5': the hashes were over '5.0', so recompute them (a rare event).
        columns = table_columns(con, spec.versions)
        attributes = [
            (other, kind.endswith("[]"))
            for other, kind in columns.items()
            if other not in spec.keys and other not in HISTORY_COLUMNS
        ]
        sql.run(con, "rehash_versions", versions=versions, row_hash=row_hash(attributes))


def row_hash(attributes: list[tuple[str, bool]]) -> exp.Expression:
    """md5 over the non-null attribute values, each tagged with its column name.

    Null values are left out, so adding a custom column (null in every existing version)
    keeps the hashes of the existing versions valid.
    """
    parts = []
    for name, is_list in sorted(attributes):
        value = sql.column(name)
        shown = (
            sql.expression("nested_as_text", nested=value)
            if is_list
            else exp.cast(value, "varchar")
        )
        parts.append(sql.expression("hash_part", name=name, text=shown))
    return sql.expression("row_hash", parts=parts)


# --- values ----------------------------------------------------------------------------------


def first_expression(col: Column) -> tuple[exp.Expression, bool]:
    """The column read from the file: (expression, whether it already has its final type).

    Text goes on as text, null when blank (an empty string counts as missing). Typed Parquet
    columns of the right type go on as they are; tags become a list.
    """
    if col.source is None:
        if col.type == "tags":
            return exp.cast(exp.Null(), exp.DataType.build("varchar[]", dialect="duckdb")), False
        return exp.Null(), False
    ref, source_type = sql.column(col.source, "r"), col.source_type.upper()
    if col.type == "tags":
        if source_type == "JSON":
            return sql.expression("json_tags", json=ref), False
        if source_type.endswith("[]"):
            return exp.cast(ref, exp.DataType.build("varchar[]", dialect="duckdb")), False
        return sql.expression("text_tags", text=text_expression(ref, source_type)), False
    if col.type == "json" and source_type == "JSON":
        # properties may be an object or a string holding one.
        return sql.expression(
            "blank_is_null", text=sql.expression("json_properties", json=ref)
        ), False
    if col.type == "timestamp":
        if source_type.startswith("TIMESTAMPTZ") or source_type == "TIMESTAMP WITH TIME ZONE":
            return sql.expression("timestamptz_utc", instant=ref), True
        if source_type.startswith("TIMESTAMP") or source_type == "DATE":
            return exp.cast(ref, "timestamp"), True
    if col.type == "date" and source_type == "DATE":
        return ref, True
    if col.type == "number" and declared_type(source_type) == "number":
        return exp.cast(ref, "double"), True
    if col.type == "bool" and source_type == "BOOLEAN":
        return ref, True
    return text_expression(ref, source_type), False


_VALUE_TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "status": ("status", {}),
    "bool": ("bool", {}),
    "timestamp": ("timestamp", {"pattern": TIMESTAMP_RE, "upper_pattern": TIMESTAMP_UPPER_RE}),
    "date": ("date", {"pattern": DATE_RE}),
    "number": ("number", {"pattern": NUMBER_RE}),
    "json": ("json_object", {}),
}


def value_expression(col: Column, read: exp.Expression, native: bool) -> exp.Expression:
    """The typed value from the column as read; null when blank or unparseable."""
    if native or col.type == "text":
        return read
    if col.type == "tags":
        return sql.expression("tags", tags=read)
    if col.type not in _VALUE_TEMPLATES:
        raise ValueError(f"unknown field type {col.type!r}")
    template, patterns = _VALUE_TEMPLATES[col.type]
    return sql.expression(template, text=read, **patterns)


def text_expression(ref: exp.Expression, source_type: str) -> exp.Expression:
    """A file value as text, null when blank."""
    upper = source_type.upper()
    if upper == "VARCHAR":
        text = ref
    elif upper == "JSON":
        text = sql.expression("json_as_text", json=ref)
    elif declared_type(upper) == "number":
        text = sql.expression("number_as_text", number=ref)
    elif upper.endswith("]") or upper.startswith(("STRUCT", "MAP")):
        text = sql.expression("nested_as_text", nested=ref)
    else:
        text = exp.cast(ref, "varchar")
    return sql.expression("blank_is_null", text=text)
