"""SQL files: one statement each, with a header of `-- key: value` lines, parsed by sqlglot.

Every statement orgjourney runs comes from a file under `sql/`. A file opens with comment
lines saying what it is; the header keys among them are

    -- grain: one row per ...       what one row of the result is
    -- params: $window_end, $since  the `$name` placeholders the statement uses

and, for the window's steps, `target`, `write` and `when` (see `windows.steps`). `$name` is a
sqlglot placeholder: `bind` replaces it with a literal built by sqlglot (a value) or with an
expression (a compiled predicate), so a value never becomes SQL text.

Example:
    >>> from datetime import datetime
    >>> statement = parse_text("-- Sends of a run.\\n-- params: $run_at\\n"
    ...                        "select * from sends where run_at = $run_at", "example.sql")
    >>> statement.sql(run_at=datetime(2026, 1, 5, 10))
    "SELECT * FROM sends WHERE run_at = CAST('2026-01-05 10:00:00' AS TIMESTAMP)"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from orgjourney_pipeline.settings import sql_dir

_HEADER = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.+?)\s*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class SqlFileError(ValueError):
    """A SQL file whose header or statement is not what its reader expects."""


@dataclass(frozen=True)
class SqlFile:
    """One SQL file: its header and its single statement."""

    path: Path
    header: Mapping[str, str]
    statement: exp.Expression

    @property
    def name(self) -> str:
        return self.path.stem

    @cached_property
    def placeholders(self) -> frozenset[str]:
        """The `$name` placeholders the statement uses."""
        return frozenset(node.name for node in self.statement.find_all(exp.Placeholder))

    @cached_property
    def repeated_placeholders(self) -> frozenset[str]:
        """The placeholders that occur more than once (their expressions are copied)."""
        names = [node.name for node in self.statement.find_all(exp.Placeholder)]
        return frozenset(name for name in names if names.count(name) > 1)

    @cached_property
    def declared_params(self) -> frozenset[str]:
        """The placeholders the header's `-- params:` line names."""
        return frozenset(_PARAM.findall(self.header.get("params", "")))

    def bind(self, **values: object) -> exp.Expression:
        """The statement with each placeholder replaced (a new tree; the file's is unchanged).

        A value that is a sqlglot expression is placed as it is (a compiled predicate; copied
        where the placeholder occurs more than once); any other becomes a literal (`literal`).
        A list or tuple is spliced into the list the placeholder stands in (a select list,
        a function's arguments, a `partition by`): `select $columns from t`. Every placeholder
        needs a value.
        """
        missing = self.placeholders - set(values)
        if missing:
            raise SqlFileError(f"{self.path.name}: no value for {sorted(missing)}")
        filled: dict[str, exp.Expression | list[exp.Expression]] = {}
        for name, value in values.items():
            if name not in self.placeholders:
                continue
            if isinstance(value, list | tuple):
                filled[name] = [_as_expression(item) for item in value]
            else:
                filled[name] = _as_expression(value)
        repeated = self.repeated_placeholders

        def fill(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder):
                value = filled[node.name]
                if isinstance(value, list):
                    return node  # spliced below, once the tree is copied
                # A node has one parent: a value placed at several places is copied there.
                return _operand(value.copy() if node.name in repeated else value)
            return node

        bound = self.statement.transform(fill)
        lists = [
            node
            for node in bound.find_all(exp.Placeholder)
            if isinstance(filled.get(node.name), list)
        ]
        for node in lists:
            _splice(node, filled[node.name], self.path.name, node.name in repeated)
        return bound

    def sql(self, dialect: str = "duckdb", **values: object) -> str:
        """`bind(**values)` as SQL text of `dialect`."""
        return self.bind(**values).sql(dialect=dialect, comments=False)


def load(relative: str | Path) -> SqlFile:
    """The SQL file at `relative` under `sql/` (parsed once per process while unchanged)."""
    path = sql_dir() / relative
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError as error:
        raise SqlFileError(f"no SQL file {path}") from error
    return _parsed(path, stamp)


def load_folder(relative: str | Path) -> list[SqlFile]:
    """Every `*.sql` file of a folder under `sql/`, by name."""
    folder = sql_dir() / relative
    return [load(path.relative_to(sql_dir())) for path in sorted(folder.glob("*.sql"))]


@lru_cache(maxsize=512)
def _parsed(path: Path, _stamp: int) -> SqlFile:
    return parse_text(path.read_text(), path)


def parse_text(text: str, path: str | Path) -> SqlFile:
    """A SQL file from its text: the header lines and exactly one statement."""
    path = Path(path)
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2)
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise SqlFileError(f"{path.name}: not valid SQL: {error}") from error
    if len(statements) != 1:
        raise SqlFileError(f"{path.name}: a SQL file holds exactly one statement")
    return SqlFile(path, header, statements[0])


def _as_expression(value: object) -> exp.Expression:
    return value if isinstance(value, exp.Expression) else literal(value)


def _splice(node: exp.Placeholder, items: list[exp.Expression], file: str, copy: bool) -> None:
    """Replace a placeholder that stands in a list by the items (copied if it is repeated)."""
    name, copies = node.name, [item.copy() if copy else item for item in items]
    if isinstance(node.parent, exp.Ordered):
        # `order by $keys desc`: each item takes the placeholder's ordering.
        ordered = node.parent
        copies = [_ordered(ordered, item) for item in copies]
        node = ordered
    parent, key = node.parent, node.arg_key
    siblings = parent.args.get(key) if parent is not None else None
    if not isinstance(siblings, list):
        raise SqlFileError(f"{file}: ${name} takes a list only where the SQL has one")
    index = next(i for i, sibling in enumerate(siblings) if sibling is node)
    parent.set(key, [*siblings[:index], *copies, *siblings[index + 1 :]])


def _ordered(ordered: exp.Ordered, item: exp.Expression) -> exp.Ordered:
    copy = ordered.copy()
    copy.set("this", item)
    return copy


def _operand(value: exp.Expression) -> exp.Expression:
    """A value as it can stand in for a placeholder: an operation in parentheses (so `$a and
    $b` keeps its meaning when `$a` is an OR), a query as a subquery."""
    if isinstance(value, exp.Query) and not isinstance(value, exp.Subquery):
        return value.subquery(copy=False)
    if isinstance(value, exp.Binary | exp.Unary | exp.Between | exp.In | exp.Is):
        return exp.Paren(this=value)
    return value


def literal(value: object) -> exp.Expression:
    """A sqlglot literal for a value (instants become typed casts: naive UTC timestamps)."""
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))
