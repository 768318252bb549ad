"""The generator: a private in-memory DuckDB with the sample macros, writing one file a call.

Every file is one `COPY` of a composed statement (`statements.compose`) whose values are
DuckDB parameters: the common ones (`common_params`) and the statement's own.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from orgjourney_pipeline.sample.activities import Segment, activities_statement
from orgjourney_pipeline.sample.sizes import SampleSize
from orgjourney_pipeline.sample.snapshots import (
    ORG_PLAN_KINDS,
    PRIMES,
    change_statement,
    coprime,
    offset,
    org_plan_params,
    snapshot_statement,
)
from orgjourney_pipeline.sample.statements import compose, output_column, sql_file
from orgjourney_pipeline.sample.world import VOCABULARY

# Run on every new connection, in order: UTC, no progress bar, the macros of random draws.
_SETUP = ("set_utc", "hide_progress_bar", "create_sample_u", "create_sample_pick")


def common_params(scale: SampleSize, seed: int) -> dict[str, Any]:
    """The parameters every statement may use: seed, sizes, id widths, the permutations of
    contacts (memberships, activity) and the vocabulary."""
    return {
        "seed": seed,
        "organizations": scale.organizations,
        "contacts": scale.contacts,
        "org_digits": max(6, len(str(scale.organizations))),
        "contact_digits": max(7, len(str(scale.contacts))),
        "contact_prime": coprime(scale.contacts, PRIMES[0]),
        "contact_offset": offset(seed, scale.contacts, 1),
        "activity_prime": coprime(scale.contacts, PRIMES[1]),
        "activity_offset": offset(seed, scale.contacts, 2),
        **VOCABULARY,
    }


class Generator:
    """A private in-memory DuckDB with the sample macros, for one sample size and seed."""

    def __init__(self, scale: SampleSize, seed: int) -> None:
        if not -(2**63) <= seed < 2**63:
            raise ValueError(f"seed must fit in 64 bits, not {seed}")
        self.scale, self.seed = scale, seed
        self._spill = tempfile.TemporaryDirectory(prefix="orgjourney-sample-")
        self.con = duckdb.connect(
            ":memory:",
            config={"memory_limit": "3GB", "temp_directory": self._spill.name},
        )
        for name in _SETUP:
            self._execute(compose(sql_file(name)), {})
        self._org_plan = False

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.con.close()
        self._spill.cleanup()

    def write_snapshot(
        self,
        kind: str,
        path: Path,
        fmt: str,
        *,
        start: datetime,
        end: datetime,
        changed: tuple[datetime, float] | None = None,
    ) -> int:
        """Write one snapshot kind as of `start`; returns the rows written.

        `changed=(at, share)` writes the snapshot as of `at` instead: the one as of `start`
        with about `share` of its rows changed (organizations and contacts only).
        """
        if kind in ORG_PLAN_KINDS:
            self._ensure_org_plan()
        query, own = snapshot_statement(kind, start=start, end=end)
        params = {**self._common(), "snapshot_at": start, **own}
        if changed is not None:
            query, own = change_statement(kind, query, *changed)
            params |= own
        return self._copy(query, params, path, fmt)

    def write_activities(
        self,
        path: Path,
        fmt: str,
        segments: list[Segment],
        *,
        stream: int,
        id_prefix: str = "ev-",
        id_digits: int | None = None,
    ) -> tuple[int, int]:
        """Write the rows of `segments`; returns (rows written, of them re-delivered)."""
        if id_digits is None:
            id_digits = max(8, len(str(self.scale.events)))
        query, own = activities_statement(
            segments, stream=stream, id_prefix=id_prefix, id_digits=id_digits
        )
        rows = self._copy(query, {**self._common(), **own}, path, fmt)
        return rows, rows - sum(segment.events for segment in segments if segment.own)

    def _common(self) -> dict[str, Any]:
        return common_params(self.scale, self.seed)

    def _ensure_org_plan(self) -> None:
        """Create the temp table `org_plan` once per connection."""
        if self._org_plan:
            return
        params = {**self._common(), **org_plan_params(self.scale, self.seed)}
        self._execute(compose(sql_file("create_org_plan")), params)
        self._org_plan = True

    def _copy(self, query: exp.Expression, params: dict[str, Any], path: Path, fmt: str) -> int:
        """COPY the query's rows to `path` in `fmt`, via a hidden partial file."""
        describe = compose(sql_file("describe_rows"), rows=query)
        described = self._execute(describe, params).fetchall()
        projection = [output_column(name, type_, fmt) for name, type_, *_ in described]
        rows = exp.select(*projection).from_(query.subquery())
        partial = path.with_name(f".{path.name}.partial")
        try:
            copy = compose(sql_file(f"copy_{fmt}"), rows=rows)
            (written,) = self._execute(copy, {**params, "path": str(partial)}).fetchone()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return written

    def _execute(
        self, statement: exp.Expression, params: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        """Run a composed statement; its `$name` placeholders are DuckDB parameters from `params`
        (only the ones it uses: DuckDB rejects unused ones)."""
        used = {node.name for node in statement.find_all(exp.Placeholder)}
        values = {name: value for name, value in params.items() if name in used}
        return self.con.execute(statement.sql(dialect="duckdb", comments=False), values)
