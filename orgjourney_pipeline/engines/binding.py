"""An engine that binds every statement and writes nothing: for checking SQL before a run.

Each write runs as its SELECT with `limit 0` — so the engine parses, binds and plans it
(unknown columns, type errors and constant conversions fail here, as in a real window) and
creates the target's temporary tables with their columns, but reads and writes no rows. Use
it inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from orgjourney_pipeline.engines import Engine

# Every write's SELECT as a subquery that yields no rows (the same SQL in DuckDB and Spark).
EMPTY = "select * from ({select}) as bound limit 0"


class BindingEngine:
    """Wraps an engine: its writes become empty writes of the same statements."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect
        self.errors = engine.errors

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        # The statement is whole SQL the caller rendered (values are literals in it, made by
        # sqlglot), so it is wrapped as it is: parsing it back only to wrap it cost more than
        # binding it (a window's 40 statements, every run).
        return self.engine.write(EMPTY.format(select=select), target, mode, keys)

    def register(self, name: str, rows: pa.Table) -> None:
        self.engine.register(name, rows)

    def rows(self, select: str) -> list[tuple]:
        return self.engine.rows(select)

    def arrow(self, select: str) -> pa.Table:
        return self.engine.arrow(select)

    def columns(self, table: str) -> dict[str, str]:
        return self.engine.columns(table)

    def publish_views(self) -> None:
        self.engine.publish_views()

    def transaction(self, *, commit: bool = True):
        return self.engine.transaction(commit=commit)
