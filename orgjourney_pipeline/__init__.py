"""orgjourney: organization journeys, evaluated in the warehouse.

`orgjourney_pipeline.open(path)` is the Python API for notebooks (see `api`);
`orgjourney_pipeline.read_connection(path)` a read-only DuckDB connection that waits for a
run's window in progress rather than failing on its lock (see `access`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from orgjourney_pipeline.api import ReadOnlyWarehouse

__version__ = "0.1.0"


# `open` shadows the builtin within this package's namespace only: it is the name SPEC gives.
def open(path: str | Path) -> ReadOnlyWarehouse:
    """The warehouse at `path`, read-only: `.table(name, journey=None, since=None)` returns
    a Polars DataFrame of a contract table or view, `.backtest(file, start, through)` and
    `.diff(file)` those of the commands (`orgjourney_pipeline.api`)."""
    # Imported here: Polars loads only for the API, not for every command.
    from orgjourney_pipeline.api import ReadOnlyWarehouse

    return ReadOnlyWarehouse(path)


@contextlib.contextmanager
def read_connection(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only DuckDB connection to the warehouse at `path`, closed when the block ends.

    Unlike `duckdb.connect(path, read_only=True)`, which fails with `Conflicting lock is held`
    while a run writes a window, it waits for that window (saying so on standard error), and
    the run waits for the block: keep it short.
    """
    from orgjourney_pipeline.api import say_wait
    from orgjourney_pipeline.warehouse import connect

    con = connect(path, read_only=True, on_wait=say_wait)
    try:
        yield con
    finally:
        con.close()
