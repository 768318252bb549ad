"""orgjourney: organization journeys, evaluated in the warehouse.

`orgjourney_pipeline.open(path)` is the Python API for notebooks (see `api`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
