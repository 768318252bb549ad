"""DuckDB SQL carried to Spark SQL by sqlglot, with the rewrites Spark needs (one place).

The SQL of the window, the compiled relations and the rules is written once, in DuckDB's
dialect. sqlglot transpiles it; five constructs that DuckDB accepts and Spark does not are
rewritten here, on the parsed statement, whatever file or compiler built them:

1. `cast('0x' || h as bigint)` (a hex number: the split's hash bucket) -> `cast(conv(h, 16,
   10) as bigint)`: Spark raises `CAST_INVALID_INPUT` on a `0x` text;
2. `list_filter(array, x -> x is not null)` -> `array_compact(array)`: Spark refuses
   subqueries inside a lambda;
3. `json_array_length(j, path)` -> `json_array_length(get_json_object(j, path))` (Spark's
   takes one argument);
4. `cast(text as json)` -> the text (JSON is stored as text; sqlglot would make `to_json`);
5. `unnest(e)` in a projection where `e` holds a subquery -> `e` computed one level down and
   exploded above it: Spark refuses (correlated) subqueries inside a generator.

`UnsupportedOnSpark` names a construct that sqlglot cannot carry (the transpile test runs every
statement of the benchmark's windows through `to_spark`).
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

_EXPLODED = "_exploded_"


class UnsupportedOnSpark(ValueError):
    """A DuckDB statement that sqlglot cannot carry to Spark."""


@lru_cache(maxsize=4096)
def to_spark(duckdb_sql: str) -> str:
    """One DuckDB statement as Spark SQL.

    Example:
        >>> to_spark("select cast('0x' || substr(md5(a), 1, 8) as bigint) % 100 from t")
        'SELECT CAST(CONV(SUBSTRING(MD5(a), 1, 8), 16, 10) AS BIGINT) % 100 FROM t'
    """
    try:
        statement = sqlglot.parse_one(duckdb_sql, read="duckdb")
        statement = rewrite_for_spark(statement)
        return statement.sql(
            dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE, comments=False
        )
    except sqlglot.errors.SqlglotError as error:
        raise UnsupportedOnSpark(f"{error}\nin: {duckdb_sql[:2000]}") from error


def rewrite_for_spark(statement: exp.Expression) -> exp.Expression:
    """The rewrites, on a parsed DuckDB statement (which it changes)."""
    statement = statement.transform(_hex_cast, copy=False)
    statement = statement.transform(_list_filter_not_null, copy=False)
    statement = statement.transform(_json_array_length_at_path, copy=False)
    statement = statement.transform(_json_cast_as_text, copy=False)
    for select in list(statement.find_all(exp.Select)):
        outer = _explode_above_subqueries(select)
        if select is statement and outer is not None:
            statement = outer
    return statement


def _hex_cast(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Cast) or not node.to.is_type(*exp.DataType.INTEGER_TYPES):
        return node
    inner = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
    parts = _concat_parts(inner)
    if len(parts) < 2 or not (parts[0].is_string and parts[0].name.lower() == "0x"):
        return node
    digits = parts[1] if len(parts) == 2 else exp.DPipe(this=parts[1], expression=parts[2])
    conv = exp.Anonymous(
        this="conv", expressions=[digits, exp.Literal.number(16), exp.Literal.number(10)]
    )
    return exp.Cast(this=conv, to=node.to)


def _json_array_length_at_path(node: exp.Expression) -> exp.Expression:
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() == "json_array_length"
        and len(node.expressions) == 2
    ):
        inner = exp.Anonymous(this="get_json_object", expressions=node.expressions)
        return exp.Anonymous(this="json_array_length", expressions=[inner])
    return node


def _json_cast_as_text(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.JSON):
        return exp.Cast(this=node.this, to=exp.DataType.build("string"))
    return node


def _concat_parts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.DPipe):
        return [*_concat_parts(node.this), *_concat_parts(node.expression)]
    if isinstance(node, exp.Concat):
        return [part for expression in node.expressions for part in _concat_parts(expression)]
    return [node]


def _list_filter_not_null(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArrayFilter):
        array, function = node.this, node.expression
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "list_filter":
        array, function = node.expressions[0], node.expressions[1]
    else:
        return node
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 1:
        return node
    name = function.expressions[0].name
    body = function.this
    if isinstance(body, exp.Not) and isinstance(body.this, exp.Is):
        checked = body.this
    elif isinstance(body, exp.Is) and isinstance(body.expression, exp.Not):
        checked = body  # `is not null` in one node
    else:
        return node
    if not (isinstance(checked.this, (exp.Column, exp.Identifier)) and checked.this.name == name):
        return node
    if not isinstance(checked.expression, (exp.Null, exp.Not)):
        return node
    return exp.ArrayCompact(this=array)


def _explode_above_subqueries(select: exp.Select) -> exp.Select | None:
    """`select a, unnest(e) as b from ..` with a subquery in `e` -> the explode one level up."""
    if select.args.get("group") or select.args.get("having") or select.args.get("distinct"):
        return None
    targets = [
        (index, projection)
        for index, projection in enumerate(select.expressions)
        if isinstance(projection.unalias(), (exp.Explode, exp.Unnest))
        and projection.unalias().find(exp.Subquery, exp.Exists)
    ]
    if not targets:
        return None
    outer_columns: list[exp.Expression] = []
    kept: list[exp.Expression] = []
    for index, projection in enumerate(select.expressions):
        match = next((p for i, p in targets if i == index), None)
        if match is None:
            kept.append(projection)
            outer_columns.append(exp.column(projection.alias_or_name, quoted=True))
            continue
        generator = projection.unalias()
        hidden = f"{_EXPLODED}{index}"
        kept.append(exp.alias_(generator.this.copy(), hidden, quoted=True))
        exploded = generator.__class__(this=exp.column(hidden, quoted=True))
        outer_columns.append(exp.alias_(exploded, projection.alias_or_name or hidden))
    inner = select.copy()
    inner.set("expressions", kept)
    for key in ("order", "limit", "offset"):
        inner.set(key, None)
    outer = exp.Select(expressions=outer_columns).from_(inner.subquery("_below", copy=False))
    for key in ("order", "limit", "offset"):
        if select.args.get(key) is not None:
            outer.set(key, select.args[key])
    if select.parent is not None:
        select.replace(outer)
    return outer
