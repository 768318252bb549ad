"""The generator's statements: files of `sql/sample/`, composed with sqlglot expressions.

A file's placeholders are of two sorts: a part of the statement (a CASE built here, a query
read from another file), which `compose` places as a sqlglot expression, and a value, which
stays `$name` and DuckDB binds as a parameter. No SQL is built from strings.

Example:
    >>> from sqlglot import exp
    >>> print(weighted_choice(exp.column("u"), (("a", 1.0), ("b", 3.0))).sql("duckdb"))
    CASE WHEN u < 0.25 THEN 'a' ELSE 'b' END
    >>> copy = compose(sql_file("copy_csv"), rows=exp.select("1 as x"))
    >>> print(copy.sql("duckdb", comments=False))
    COPY (SELECT 1 AS x) TO $path WITH (format csv, header TRUE)
"""

from __future__ import annotations

from sqlglot import exp

from orgjourney_pipeline import sqlfiles


def sql_file(name: str) -> sqlfiles.SqlFile:
    """A statement of `sql/sample/`."""
    return sqlfiles.load(f"sample/{name}.sql")


def compose(file: sqlfiles.SqlFile, **parts: exp.Expression) -> exp.Expression:
    """The file's statement with the placeholders in `parts` replaced by those expressions (a
    CASE, a query); its other placeholders stay `$name`, values DuckDB binds as parameters."""
    kept = {name: exp.Placeholder(this=name) for name in file.placeholders - set(parts)}
    return file.bind(**kept, **parts)


def weighted_choice(draw: exp.Expression, choices: tuple[tuple[str, float], ...]) -> exp.Case:
    """A CASE picking a value by cumulative weight for a uniform draw, built with sqlglot."""
    total = sum(weight for _, weight in choices)
    case, cumulative = exp.Case(), 0.0
    for value, weight in choices[:-1]:
        cumulative += weight
        case = case.when(
            exp.LT(this=draw.copy(), expression=_number(round(cumulative / total, 6))),
            exp.Literal.string(value),
        )
    return case.else_(exp.Literal.string(choices[-1][0]))


def output_column(name: str, duckdb_type: str, fmt: str) -> exp.Expression:
    """A column as the file format writes it: text timestamps, `;` tags in CSV, JSON objects."""
    column = exp.column(exp.to_identifier(name, quoted=True))
    if duckdb_type == "TIMESTAMP" and fmt != "parquet":
        value = exp.Anonymous(
            this="strftime", expressions=[column, exp.Literal.string("%Y-%m-%dT%H:%M:%SZ")]
        )
    elif duckdb_type.endswith("[]") and fmt == "csv":
        value = exp.Anonymous(this="array_to_string", expressions=[column, exp.Literal.string(";")])
    elif name == "properties" and fmt == "jsonl":
        value = exp.cast(column, exp.DataType.build("json"))
    else:
        return column
    return exp.alias_(value, exp.to_identifier(name, quoted=True))


def _number(value: float) -> exp.Literal:
    return exp.Literal.number(repr(value) if isinstance(value, float) else value)
