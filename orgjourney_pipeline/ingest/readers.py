"""Readers: a CSV, Parquet or JSON Lines file opened as a relation with numbered rows.

Each reader returns a `Source`: a FROM item with the file's columns plus `__row_number`
(1-based: CSV the record after the header, Parquet the row, JSON Lines the line), the
columns' DuckDB types, the row count, and how to render a row as JSON text for
`rejected_rows`. A file that cannot be read raises `FileRejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlglot import exp

from orgjourney_pipeline.ingest import sql
from orgjourney_pipeline.ingest.kinds import FileRejected


@dataclass
class Source:
    """A file opened as a relation: its columns plus __row_number (and JSON Lines' guard)."""

    relation: str  # a temp table or view of the connection
    columns: dict[str, str]  # the file's columns -> DuckDB type, in file order
    rows: int  # data rows (JSON Lines: non-blank lines)
    raw: exp.Expression  # the original row as JSON text, over the relation aliased `r`
    is_object: str | None = None  # JSON Lines: column saying the line is a JSON object
    typed: bool = False  # Parquet: custom field types come from the file's column types


def read_file(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> Source:
    """Open a file of a known format as a relation of the connection."""
    reader = {"csv": read_csv, "parquet": read_parquet, "jsonl": read_jsonl}[fmt]
    return reader(con, path)


def close(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what the readers created on the connection."""
    con.unregister(sql.CSV_VIEW)
    sql.run(con, "drop_temp_view", view=exp.to_identifier(sql.PARQUET_VIEW))


# --- CSV -------------------------------------------------------------------------------------


def read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """CSV with a header row, comma-delimited, every column as text (Arrow keeps row order).

    Arrow reads the header and the rows alike (a quoted newline inside a header field is
    part of the name, not the start of a row); DuckDB's strict parser checks the quoting.
    """
    header = _csv_header(path)
    names = [name.strip() for name in header]
    check_names(names)
    table = pa.table({"__row_number": pa.array([], pa.int64())})
    if names:
        if _strict_csv_rows(con, path, len(names)) == 0:
            table = pa.table({name: pa.array([], pa.string()) for name in names})
        else:
            table = _arrow_csv(path, header).rename_columns(names)
        table = table.append_column("__row_number", _row_numbers(table.num_rows))
    con.register(sql.CSV_VIEW, table)
    return Source(
        relation=sql.CSV_VIEW,
        columns=dict.fromkeys(names, "VARCHAR"),
        rows=table.num_rows,
        raw=raw_json(names),
    )


_CSV_PARSE = pa_csv.ParseOptions(
    delimiter=",", quote_char='"', double_quote=True, newlines_in_values=True
)
_HEADER_PARSE = pa_csv.ParseOptions(
    delimiter=",",
    quote_char='"',
    double_quote=True,
    newlines_in_values=True,
    invalid_row_handler=lambda row: "skip",
)
_HEADER_ONLY = "cannot infer number of columns"  # Arrow, on a header without a line end
_MAX_HEADER_ONLY = 2**26


def _csv_header(path: Path) -> list[str]:
    """The header's fields as Arrow parses them ([] for an empty file)."""
    if path.stat().st_size == 0:
        return []
    block_size = pa_csv.ReadOptions().block_size
    whole_file = min(path.stat().st_size + 1, _ARROW_MAX_BLOCK)
    source: Path | pa.BufferReader = path
    while True:
        try:
            # Only the header is wanted here: the rows are checked by DuckDB's strict parser
            # next, which names the bad line (a row of the wrong width, bad UTF-8).
            with pa_csv.open_csv(
                source,
                read_options=pa_csv.ReadOptions(block_size=block_size),
                parse_options=_HEADER_PARSE,
                convert_options=pa_csv.ConvertOptions(check_utf8=False),
            ) as rows:
                return rows.schema.names
        except pa.ArrowInvalid as error:
            header_only = _HEADER_ONLY in str(error) and isinstance(source, Path)
            if header_only and path.stat().st_size < _MAX_HEADER_ONLY:
                # A header without a line end: the same parser, given the line end.
                source = pa.BufferReader(path.read_bytes() + b"\n")
                continue
            if "straddling" not in str(error) or block_size >= whole_file:
                raise FileRejected(f"cannot read as CSV: {first_line(error)}") from error
            block_size = min(block_size * 16, whole_file)
        except (pa.ArrowException, UnicodeDecodeError) as error:
            raise FileRejected(f"cannot read as CSV: {first_line(error)}") from error


def _row_numbers(count: int) -> pa.Array:
    """1, 2, ... count as int64 (computed by Arrow, not a Python loop)."""
    return pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), count))


def _strict_csv_rows(con: duckdb.DuckDBPyConnection, path: Path, width: int) -> int:
    """Check the file with DuckDB's strict CSV parser; return its data row count.

    Arrow reads leniently: an unterminated quote swallows the rows after it into one value
    (`o1,"Acme` then `o2,Beta` becomes one row) and text after a closing quote is glued on.
    Those rows would be lost without a trace, so such a file is rejected whole instead.
    DuckDB's parser runs in parallel; its row count is only trusted to tell "no rows".
    """
    columns = sql.struct_type((f"c{index}" for index in range(width)), "VARCHAR")
    try:
        return sql.scalar(con, "check_csv", path=str(path), columns=columns)
    except duckdb.Error as error:
        raise FileRejected(f"cannot read as CSV: {_csv_error(error)}") from error


_ARROW_MAX_BLOCK = 2**31 - 1  # Arrow's CSV block size is an int32


def _arrow_csv(path: Path, header: list[str]) -> pa.Table:
    """Read the checked file with Arrow, its header and every column as text.

    Arrow parses in blocks (1 MiB by default) and fails on a record longer than a block
    ("straddling object straddles two block boundaries"). On that error only, the read is
    retried with a 16 times bigger block, up to one block for the whole file: normal files
    keep the small parallel blocks, a file with a huge field still loads.
    """
    block_size = pa_csv.ReadOptions().block_size
    whole_file = min(path.stat().st_size + 1, _ARROW_MAX_BLOCK)
    while True:
        try:
            return pa_csv.read_csv(
                path,
                read_options=pa_csv.ReadOptions(block_size=block_size),
                parse_options=_CSV_PARSE,
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in header},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error) or block_size >= whole_file:
                raise FileRejected(f"cannot read as CSV: {first_line(error)}") from error
            block_size = min(block_size * 16, whole_file)
        except (pa.ArrowException, UnicodeDecodeError) as error:
            raise FileRejected(f"cannot read as CSV: {first_line(error)}") from error


def _csv_error(error: duckdb.Error) -> str:
    """DuckDB's CSV error in one line: where, and what (without the offending line's text)."""
    text = str(error).split("Possible fixes:")[0].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    where = lines[0].removeprefix("Invalid Input Error: ") if lines else type(error).__name__
    what = lines[-1] if len(lines) > 1 and not lines[-1].startswith("Original Line") else ""
    return f"{where}: {what}" if what else where


# --- Parquet ---------------------------------------------------------------------------------


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Parquet: the file's columns with their types."""
    try:
        described = sql.run(con, "parquet_columns", path=str(path)).fetchall()
        sql.run(con, "open_parquet", path=str(path))
        rows = sql.scalar(con, "count_rows", relation=exp.to_identifier(sql.PARQUET_VIEW))
    except duckdb.Error as error:
        raise FileRejected(f"cannot read as Parquet: {first_line(error)}") from error
    names = [row[0] for row in described]
    check_names(names)
    return Source(
        relation=sql.PARQUET_VIEW,
        columns={row[0]: row[1] for row in described},
        rows=rows,
        raw=raw_json(names),
        typed=True,
    )


# --- JSON Lines ------------------------------------------------------------------------------


def read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """JSON Lines: one JSON object a line; blank lines are skipped but keep their number."""
    try:
        sql.run(con, "jsonl_lines", path=str(path))
        sql.run(con, "jsonl_objects")
        sql.run(con, "drop_temp_table", table=exp.to_identifier(sql.RAW_LINES))
    except duckdb.Error as error:
        raise FileRejected(f"cannot read as JSON Lines: {first_line(error)}") from error
    names = [key for (key,) in sql.run(con, "jsonl_keys").fetchall()]
    check_names(names)
    values = [
        sql.alias(sql.expression("list_item", list=exp.column("__values"), position=i), name)
        for i, name in enumerate(names, start=1)
    ]
    paths = exp.Array(expressions=[sql.text(_json_path(name)) for name in names])
    sql.run(con, "jsonl_values", values=values, paths=paths if names else exp.Null())
    rows = sql.scalar(con, "count_rows", relation=exp.to_identifier(sql.JSON_SOURCE))
    return Source(
        relation=sql.JSON_SOURCE,
        columns=dict.fromkeys(names, "JSON"),
        rows=rows,
        raw=sql.column("__line", "r"),
        is_object="__is_object",
    )


def _json_path(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'$."{escaped}"'


# --- shared ----------------------------------------------------------------------------------


# The most columns a file may have. Each custom column is a column of its kind's versions
# table (DuckDB adds one per ALTER) and a few expressions of the staging statement, so the
# cost of a file grows with its width; wider files are rejected whole, before their rows are
# read (docs/semantics.md).
MAX_COLUMNS = 1000


def check_names(names: list[str]) -> None:
    """Column names the staging can address: non-empty, distinct ignoring case, not internal,
    and at most MAX_COLUMNS of them."""
    if len(names) > MAX_COLUMNS:
        raise FileRejected(
            f"too many columns: {len(names)} (a file may have at most {MAX_COLUMNS})"
        )
    seen: dict[str, str] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            raise FileRejected(f"column {position} has no name")
        if name.startswith("__"):
            raise FileRejected(f"column {name!r}: names starting with '__' are reserved")
        if name.lower() in seen and seen[name.lower()] == name:
            raise FileRejected(f"duplicate column {name!r}")
        if name.lower() in seen:
            raise FileRejected(
                f"columns {seen[name.lower()]!r} and {name!r} differ only in case: field names "
                "ignore case, so they would name one field"
            )
        seen[name.lower()] = name


def raw_json(names: list[str]) -> exp.Expression:
    """A row of the relation aliased `r` as JSON text ('{}' without columns)."""
    if not names:
        return sql.text("{}")
    fields = [
        exp.PropertyEQ(this=sql.ident(name), expression=sql.column(name, "r")) for name in names
    ]
    return sql.expression("raw_row", fields=fields)


def first_line(error: BaseException) -> str:
    """An error's message, its first line only."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
