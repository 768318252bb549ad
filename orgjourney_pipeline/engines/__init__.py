"""Engines: the one small interface the pipeline's SQL runs through, and its implementations.

The window's SQL files, the compiled relations and the rules' statements are written once,
in DuckDB's dialect; an engine runs them. It executes a SELECT into a target with a write
mode, registers Arrow data as a table, reads results, and begins and commits a window.
Engine-specific SQL lives only in its engine: `duckdb` (the embedded warehouse, the default).

Write modes (the `-- write:` header of a window step):
- `view`    a temporary view named `target` (lazy, per connection);
- `temp`    a temporary table named `target`, rebuilt each window;
- `append`  rows inserted into `target` by name;
- `upsert`  rows of `target` with the step's keys deleted, then the new rows inserted;
- `replace` every row of `target` replaced by the new rows (a new snapshot of a small state).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pyarrow as pa

WRITE_MODES = ("view", "temp", "append", "upsert", "replace")


class Engine(Protocol):
    """What the runner, the rules' checks and the read commands need of an engine."""

    dialect: str  # the sqlglot dialect its SQL is generated in
    errors: tuple[type[Exception], ...]  # what its statements raise when they fail

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        """Write the rows of a SELECT (SQL of `dialect`) to `target`; return how many."""

    def register(self, name: str, rows: pa.Table) -> None:
        """Make `rows` readable as the temporary table `name` (replacing one of that name)."""

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        """The rows of a SELECT, as tuples."""

    def arrow(self, select: str) -> pa.Table:
        """The rows of a SELECT, as Arrow."""

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> type of a table or view, in order."""

    def publish_views(self) -> None:
        """Make again the analysts' views whose columns follow the data (`organizations`),
        within the window's transaction; an engine that builds them on commit does nothing."""

    def transaction(self, *, commit: bool = True) -> AbstractContextManager[None]:
        """One window's writes, all or nothing (rolled back if `commit` is false)."""


def batches(rows: pa.Table, size: int = 1_000_000) -> Iterator[pa.RecordBatch]:
    """Arrow rows in batches (for engines that take data in parts)."""
    yield from rows.to_batches(max_chunksize=size)
