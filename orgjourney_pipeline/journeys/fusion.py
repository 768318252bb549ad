"""The branch-fusion optimizer: a `UNION ALL` of per-journey SELECTs as one pass over its FROM.

A compiled relation is a union of one SELECT per journey or step, and most of them read the
same tables. Planned apart, each would scan the views behind its FROM again (organizations as
of the run, memberships, contacts): per window, the cost would grow with the number of
journeys. `fuse_branches` rewrites branches that read the same tables into one SELECT that
yields, for each row, the projections of every branch whose WHERE it meets. Its golden
fixtures are `tests/fusion/*.sql` (a `-- title:` line, the input, then the expected output).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp


def fuse_branches(query: exp.Query) -> exp.Query:
    """A `UNION ALL` of per-journey SELECTs over the same FROM, as one pass over that FROM.

    Branches that read the same tables (the same FROM and JOINs, DISTINCT alike) become

        select [distinct] case b when 1 then <branch 1's c1> when 2 then .. end as c1, ..
        from (
            select *, unnest(list_filter([case when <branch 1 where> then 1 end, ..],
                                         n -> n is not null)) as b
            from <the FROM> where <any branch's simple conditions on the first table>
        )

    (a column that every branch projects alike is projected once), so the views behind the
    FROM (organizations as of the run, memberships, contacts) are planned and scanned once
    per window, not once per journey or step. Each row yields the projections of every
    branch whose WHERE it meets, as the union did; the prefilter only repeats conditions that
    such rows meet anyway. Other branches are left as they are. A scalar subquery that several
    branches repeat (journeys counting the same activity over the same days, with different
    thresholds) is computed once per row of a FROM without joins (`_share_subqueries`).

    Example:
        >>> q = parse("select 'a' as j, x.k from x where x.t > 1 "
        ...           "union all select 'b' as j, x.k from x where x.t > 2")
        >>> print(fuse_branches(q).sql("duckdb", pretty=True))
        SELECT
          CASE _branch WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS j,
          "x__k" AS k
        FROM (
          SELECT
            x.k AS "x__k",
            UNNEST(LIST_FILTER(
              [CASE WHEN x.t > 1 THEN 1 END, CASE WHEN x.t > 2 THEN 2 END],
              LAMBDA _n : NOT _n IS NULL
            )) AS _branch
          FROM x
          WHERE
            (
              x.t > 1
            ) OR (
              x.t > 2
            )
        ) AS _fused
    """
    branches = _union_branches(query)
    if branches is None or len(branches) < 2:
        return query
    groups: dict[tuple | None, list[exp.Select]] = {}
    for branch in branches:
        groups.setdefault(_source_key(branch), []).append(branch)
    parts = [
        _fused(group) if key and len(group) > 1 else member
        for key, group in groups.items()
        for member in ([group[0]] if key and len(group) > 1 else group)
    ]
    return union_all(parts) or query


def _union_branches(query: exp.Expression) -> list[exp.Select] | None:
    """The SELECTs of a left-deep `UNION ALL` (None if it is anything else)."""
    if isinstance(query, exp.Select):
        return [query]
    if isinstance(query, exp.Union) and not query.args.get("distinct"):
        left = _union_branches(query.this)
        right = _union_branches(query.expression)
        if left is None or right is None:
            return None
        return left + right
    return None


_UNFUSABLE = ("group", "having", "order", "limit", "offset", "qualify", "with", "windows")


def _source_key(branch: exp.Select) -> tuple | None:
    """What a branch reads (structurally comparable), or None when it cannot be fused."""
    if any(branch.args.get(arg) for arg in _UNFUSABLE) or _from(branch) is None:
        return None
    for projection in branch.expressions:
        for node in projection.walk():
            if isinstance(node, exp.Window | exp.AggFunc | exp.Query | exp.Star):
                return None
            if isinstance(node, exp.Column) and not node.table:
                return None
    joins = tuple(branch.args.get("joins") or ())
    return (bool(branch.args.get("distinct")), _from(branch), joins)


def _fused(group: list[exp.Select]) -> exp.Select:
    first = group[0]
    names = [projection.alias_or_name for projection in first.expressions]
    values = [
        [(p.this if isinstance(p, exp.Alias) else p) for p in branch.expressions]
        for branch in group
    ]
    keyed = _keyed(group, names, values)
    if keyed is not None:
        return keyed
    numbers, prefilters = [], []
    for number, branch in enumerate(group, 1):
        where = branch.args.get("where")
        condition = where.this if where else exp.true()  # the branches are not used again
        numbers.append(exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(number))]))
        prefilters.append(_simple_conjuncts(condition, _driving_alias(first)))
    matching = exp.Anonymous(
        this="list_filter",
        expressions=[
            exp.Array(expressions=numbers),
            exp.Lambda(
                this=exp.column("_n").is_(exp.Null()).not_(),
                expressions=[exp.to_identifier("_n")],
            ),
        ],
    )
    inner = exp.Select(
        expressions=[
            *[
                exp.Alias(
                    this=column.copy(), alias=exp.to_identifier(_inner_name(column), quoted=True)
                )
                for column in {
                    (c.table, c.name): c
                    for row in values
                    for value in row
                    for c in value.find_all(exp.Column)
                    if c.table
                }.values()
            ],
            exp.Unnest(expressions=[matching]).as_("_branch"),
        ]
    )
    inner.set("from_" if "from_" in first.args else "from", _from(first))
    inner.set("joins", list(first.args.get("joins") or []))
    if not inner.args["joins"]:
        _share_subqueries(inner)
    if all(prefilters):
        either = exp.or_(
            *[exp.paren(exp.and_(*parts, copy=False), copy=False) for parts in prefilters],
            copy=False,
        )
        inner.set("where", exp.Where(this=either))
    columns = []
    for index, name in enumerate(names):
        if all(row[index] == values[0][index] for row in values[1:]):
            value = _unqualified(values[0][index])
        else:
            value = exp.Case(
                this=exp.column("_branch"),
                ifs=[
                    exp.If(this=exp.Literal.number(number), true=_unqualified(row[index]))
                    for number, row in enumerate(values, 1)
                ],
            )
        columns.append(exp.Alias(this=value, alias=exp.to_identifier(name)))
    outer = exp.Select(expressions=columns)
    outer.set(
        "from_" if "from_" in first.args else "from",
        exp.From(
            this=exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_fused")))
        ),
    )
    return outer.distinct(copy=False) if first.args.get("distinct") else outer


def _keyed(
    group: list[exp.Select], names: list[str], values: list[list[exp.Expression]]
) -> exp.Select | None:
    """The fused form for branches told apart by `t.column = literal` conditions on the first
    table (journey, version and step; an activity type): a hash join of that table with the
    branches' keys picks each row's branches, so a row meets only its own branches' WHEREs:

        select case _keys._branch when 1 then <branch 1's c1> .. end as c1, ..
        from t join (values (<literals>, 1), ..) as _keys(.., _branch) on t.k = _keys.k ..
        <the other joins>
        where case _keys._branch when 1 then <branch 1's where> .. end

    None when the branches share no such column.
    """
    first = group[0]
    alias = _driving_alias(first)
    conditions = [b.args["where"].this if b.args.get("where") else exp.true() for b in group]
    keys = [_literal_keys(condition, alias) for condition in conditions]
    shared = [name for name in keys[0] if all(name in k for k in keys[1:])]
    if not alias or not shared:
        return None
    rows = [
        exp.Tuple(expressions=[*(k[name].copy() for name in shared), exp.Literal.number(n)])
        for n, k in enumerate(keys, 1)
    ]
    key_columns = [exp.to_identifier(f"_key_{name}") for name in shared]
    table = exp.Subquery(
        this=exp.Values(expressions=rows),
        alias=exp.TableAlias(
            this=exp.to_identifier("_keys"), columns=[*key_columns, exp.to_identifier("_branch")]
        ),
    )
    on = exp.and_(
        *[
            exp.EQ(this=exp.column(name, alias), expression=exp.column(column.copy(), "_keys"))
            for name, column in zip(shared, key_columns, strict=True)
        ],
        copy=False,
    )
    branch = exp.column("_branch", "_keys")
    columns = []
    for index, name in enumerate(names):
        if all(row[index] == values[0][index] for row in values[1:]):
            value = values[0][index]
        else:
            value = exp.Case(
                this=branch.copy(),
                ifs=[
                    exp.If(this=exp.Literal.number(n), true=row[index])
                    for n, row in enumerate(values, 1)
                ],
            )
        columns.append(exp.Alias(this=value, alias=exp.to_identifier(name)))
    fused = exp.Select(expressions=columns)
    fused.set("from_" if "from_" in first.args else "from", _from(first))
    fused.set("joins", [exp.Join(this=table, on=on), *(first.args.get("joins") or [])])
    which = exp.Case(
        this=branch.copy(),
        ifs=[exp.If(this=exp.Literal.number(n), true=c) for n, c in enumerate(conditions, 1)],
    )
    fused.set("where", exp.Where(this=which))
    return fused.distinct(copy=False) if first.args.get("distinct") else fused


def _literal_keys(condition: exp.Expression, alias: str) -> dict[str, exp.Literal]:
    """`alias.column = literal` parts of a condition's top-level AND, by column name."""
    keys: dict[str, exp.Literal] = {}
    for part in _simple_conjuncts(condition, alias):
        if isinstance(part, exp.EQ):
            column, literal = part.this, part.expression
            if isinstance(column, exp.Literal):
                column, literal = literal, column
            if isinstance(column, exp.Column) and isinstance(literal, exp.Literal):
                keys.setdefault(column.name, literal)
    return keys


def _unqualified(value: exp.Expression) -> exp.Expression:
    """A projection over the fused subquery: `t.c` becomes the inner column's name."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table:
            return exp.column(exp.to_identifier(_inner_name(node), quoted=True))
        return node

    return value.transform(rename, copy=False)


# Where a subquery is a set or a test, not a value that a column can stand for.
_NOT_A_VALUE = (exp.In, exp.Exists, exp.Any, exp.All, exp.Unnest, exp.Lateral)


def _share_subqueries(inner: exp.Select) -> None:
    """Compute once each scalar subquery that the projections repeat, as a column of the FROM.

    `from t as o` becomes `from (select o.*, (<subquery>) as _shared_1 from t as o) as o` and
    every copy of the subquery `o._shared_1`: DuckDB then decorrelates and joins it once,
    where it may otherwise plan every copy apart (seen with the entry filters' 7-day counts,
    five copies: 2.4 times slower over 4x the history). `inner` is changed in place.

    Example:
        >>> counted = "(select count(*) from e where e.k = o.k)"
        >>> q = parse(f"select 'a' as j, o.k from x as o where {counted} > 1 "
        ...           f"union all select 'b' as j, o.k from x as o where {counted} > 2")
        >>> fuse_branches(q).sql("duckdb").lower().count("count(*)")
        1
    """
    table = _from(inner).this
    if not isinstance(table, exp.Table) or not table.alias:
        return
    copies: dict[str, list[exp.Subquery]] = {}
    for projection in inner.expressions:
        for subquery in projection.find_all(exp.Subquery):
            if not isinstance(subquery.parent, _NOT_A_VALUE) and _outermost(subquery, projection):
                copies.setdefault(subquery.sql("duckdb"), []).append(subquery)
    shared = []
    for repeated in (group for group in copies.values() if len(group) > 1):
        name = f"_shared_{len(shared) + 1}"
        shared.append(exp.Alias(this=repeated[0].copy(), alias=exp.to_identifier(name)))
        for subquery in repeated:
            subquery.replace(exp.column(name, table.alias))
    if shared:
        source = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=exp.to_identifier(table.alias)), *shared]
        ).from_(table.copy(), copy=False)
        _from(inner).set(
            "this",
            exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier(table.alias))),
        )


def _outermost(subquery: exp.Subquery, within: exp.Expression) -> bool:
    """Whether no other subquery of `within` encloses `subquery`."""
    node = subquery.parent
    while node is not None and node is not within.parent:
        if isinstance(node, exp.Subquery | exp.Query):
            return False
        node = node.parent
    return True


def _inner_name(column: exp.Column) -> str:
    return f"{column.table}__{column.name}"


def _from(branch: exp.Select) -> exp.From | None:
    return branch.args.get("from_") or branch.args.get("from")


def _driving_alias(branch: exp.Select) -> str:
    table = _from(branch).this
    return table.alias_or_name if isinstance(table, exp.Table) else ""


def _simple_conjuncts(condition: exp.Expression, alias: str) -> list[exp.Expression]:
    """The top-level AND parts of a condition that read only the first table's columns."""
    parts, stack = [], [condition]
    while stack:
        node = stack.pop()
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.And):
            stack.extend([node.this, node.expression])
            continue
        columns = list(node.find_all(exp.Column))
        if (
            alias
            and columns
            and all(column.table == alias for column in columns)
            and not any(isinstance(n, exp.Subquery | exp.Exists | exp.Query) for n in node.walk())
        ):
            parts.append(node.copy())
    return parts


def union_all(queries: Iterable[exp.Query | None]) -> exp.Query | None:
    """`UNION ALL` of the queries (None for none); the queries are fresh, so not copied."""
    present = [query for query in queries if query is not None]
    if len(present) <= 1:
        return present[0] if present else None
    return exp.union(*present, distinct=False, copy=False)


def parse(sql: str) -> exp.Query:
    """Parse a DuckDB SELECT (the examples and fixtures of this module)."""
    return sqlglot.parse_one(sql, read="duckdb")
