"""The Spark engine: the pipeline's DuckDB SQL carried to Spark, its writes staged per
commit, and a window's rows visible only once its `runs` partition is written.

Every table of the warehouse (`storage`) is readable by its own name as a temporary view of
its committed rows; the analysts' views of `sql/views/` are temporary views over them. Within
a transaction the views show the transaction's writes as well:

- `view`    a temporary view of the statement (lazy, as on DuckDB);
- `temp`    the statement's rows, computed once (`localCheckpoint`), as a temporary view;
- `append`  rows added, by name: to a table that grows, this commit's partition; to a state
            or a window's temporary table, a new state of it;
- `upsert`  the state without the rows of the new rows' keys, and the new rows;
- `replace` the new rows are the new state.

A commit writes each staged table's partition of the commit (a window's key comes from its
`runs` row), the marker last (`storage.Family`); a rollback forgets the staged rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines.spark.storage import (
    FAMILIES,
    LOADS,
    WINDOWS,
    Family,
    SparkWarehouse,
    contract_schemas,
    family_of,
    window_key,
)
from orgjourney_pipeline.engines.spark.transpile import UnsupportedOnSpark, to_spark
from orgjourney_pipeline.faults import maybe_fault
from orgjourney_pipeline.journeys import overlay


def spark_errors() -> tuple[type[Exception], ...]:
    """What a failing Spark statement raises."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError, UnsupportedOnSpark)


class SparkEngine:
    """An engine over one Spark session and one Spark warehouse directory."""

    dialect = "duckdb"  # it takes the pipeline's SQL as written and carries it to Spark

    def __init__(self, session, warehouse: SparkWarehouse):
        self.spark = session
        self.warehouse = warehouse
        self.errors = spark_errors()
        self.statements = 0  # Spark statements run (the benchmark reports them)
        self.view_problems: dict[str, str] = {}
        self._staged: dict[str, Any] = {}  # table -> this commit's rows (grow) or new state
        self._frames: dict[str, Any] = {}  # table -> its committed rows
        warehouse.create(contract_schemas())
        self._schemas = {
            table: _spark_schema(warehouse.schema(table))
            for family in FAMILIES
            for table in family.tables
        }
        self.refresh()

    # -- the Engine protocol ------------------------------------------------------------

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        spark_sql = to_spark(select)
        self.statements += 1
        if mode == "view":
            self.spark.sql(f"create or replace temporary view `{target}` as {spark_sql}")
            return 0
        frame = self.spark.sql(spark_sql)
        if mode == "temp":
            rows = _materialize(frame)
            rows.createOrReplaceTempView(target)
            return rows.count()
        new = _materialize(self._conform(frame, target))
        family = family_of(target)
        if mode == "append" and family is not None and target in family.grows:
            staged = self._staged.get(target)
            self._staged[target] = new if staged is None else staged.unionByName(new)
            shown = self._frames[target].unionByName(self._staged[target])
            shown.createOrReplaceTempView(target)
            return new.count()
        current = self.spark.table(f"`{target}`")
        if mode == "append":
            state = current.unionByName(new)
        elif mode == "replace":
            state = new
        elif mode == "upsert":
            kept = current.join(new.select(*keys).distinct(), list(keys), "left_anti")
            state = kept.unionByName(new)
        else:
            raise ValueError(f"unknown write mode {mode!r}")
        state = _materialize(state)
        if family is not None:
            self._staged[target] = state
        state.createOrReplaceTempView(target)
        return new.count()

    def register(self, name: str, rows: pa.Table) -> None:
        self.spark.createDataFrame(rows).createOrReplaceTempView(name)

    def rows(self, select: str) -> list[tuple[Any, ...]]:
        self.statements += 1
        return [tuple(row) for row in self.spark.sql(to_spark(select)).collect()]

    def arrow(self, select: str) -> pa.Table:
        self.statements += 1
        return self.spark.sql(to_spark(select)).toArrow()

    def columns(self, table: str) -> dict[str, str]:
        schema = self.spark.table(f"`{table}`").schema
        return {field.name: _duckdb_type(field.dataType.simpleString()) for field in schema}

    def publish_views(self) -> None:
        """Nothing within a transaction: `refresh` builds the views after each commit."""

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[None]:
        self._staged = {}
        try:
            yield
            if commit:
                self._commit()
        finally:
            self._staged = {}
            self.refresh()

    # -- committing and reading ---------------------------------------------------------

    def commit_family(self, family: Family, key: str, frames: dict[str, Any]) -> None:
        """Write `frames` (table -> rows) as the partitions `key` of a family, marker last."""
        self.warehouse.remove_uncommitted(family)
        ordered = sorted(frames, key=lambda table: table == family.marker)
        for table in ordered:
            rows = self._conform(frames[table], table)
            rows.write.mode("overwrite").parquet(str(self.warehouse.partition_dir(table, key)))
            maybe_fault(f"spark_commit_{table}")
        self.warehouse.remove_old_states(family)

    def write_partition(self, table: str, key: str, rows: pa.Table) -> None:
        """Arrow rows as one partition of a table (replacing it): a ledger outside a commit."""
        frame = self._conform(self.spark.createDataFrame(rows), table)
        frame.write.mode("overwrite").parquet(str(self.warehouse.partition_dir(table, key)))

    def refresh(self) -> None:
        """Every table as the temporary view of its committed rows, and the analysts' views."""
        for family in FAMILIES:
            committed = self.warehouse.committed(family)
            for table in family.tables:
                self._frames[table] = self._committed(table, committed)
                self._frames[table].createOrReplaceTempView(table)
        for path in _view_files():
            self._analysts_view(path.stem, sqlfiles.load(path).sql)
        self._analysts_view("organizations", self._organizations_view)

    def _analysts_view(self, name: str, statement: Callable[[], str]) -> None:
        """A view of `sql/views/` (DuckDB's `create view`) as a temporary view; one Spark
        cannot build is named in `view_problems`, not fatal."""
        try:
            self.spark.sql(_temporary_view(statement()))
        except self.errors as error:
            self.view_problems[name] = str(error).splitlines()[0]

    def _organizations_view(self) -> str:
        query = overlay.current_organizations(self.columns("organization_versions"), self.rows)
        return f"create or replace view organizations as {query}"

    def evolve_schema(self, table: str, schema: pa.Schema) -> None:
        """A table's new columns (custom fields of a snapshot history)."""
        self.warehouse.write_schema(table, schema)
        self._schemas[table] = _spark_schema(schema)

    def _committed(self, table: str, committed: str | None = None):
        paths = [str(path) for path in self.warehouse.visible_files(table, committed)]
        return self.spark.read.schema(self._schemas[table]).parquet(*paths)

    def _commit(self) -> None:
        if not self._staged:
            return
        families = {family_of(table) for table in self._staged}
        if families != {WINDOWS}:
            raise RuntimeError(
                f"a transaction may write one window's tables: {sorted(self._staged)}"
            )
        runs = self._staged.get(WINDOWS.marker)
        if runs is None:
            raise RuntimeError("a window's transaction writes its runs row last: none was staged")
        [(window_end,)] = runs.selectExpr("max(window_end)").collect()
        self.commit_family(WINDOWS, window_key(window_end), self._staged)

    def _conform(self, frame, target: str):
        """The rows with the target's columns, by name and in order, cast to its types (a
        column the rows lack is null, as DuckDB's `insert .. by name` does)."""
        from pyspark.sql import functions as F

        if target in self._schemas:
            fields = [(f.name, f.dataType) for f in self._schemas[target].fields]
        else:
            fields = [(f.name, f.dataType) for f in self.spark.table(f"`{target}`").schema.fields]
        present = set(frame.columns)
        return frame.select(
            *[
                (F.col(f"`{name}`") if name in present else F.lit(None)).cast(kind).alias(name)
                for name, kind in fields
            ]
        )


def _materialize(frame):
    """The rows computed once, their lineage cut (so a view replaced later cannot change them
    and a walk of many passes does not plan its first pass again). The plan is fixed now; the
    rows are computed by the first job that reads them (the step's count: one job a step)."""
    return frame.localCheckpoint(eager=False)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _duckdb_type(spark_type: str) -> str:
    return exp.DataType.build(spark_type, dialect="spark").sql("duckdb").upper()


def _view_files():
    from orgjourney_pipeline.warehouse import view_files

    return view_files()


def _temporary_view(duckdb_sql: str) -> str:
    """`create or replace view v as ..` (DuckDB) as a Spark temporary view."""
    create = sqlglot.parse_one(duckdb_sql, read="duckdb")
    create.set("properties", exp.Properties(expressions=[exp.TemporaryProperty()]))
    create.set(
        "expression", sqlglot.parse_one(to_spark(create.expression.sql("duckdb")), read="spark")
    )
    return create.sql(dialect="spark")


__all__ = ["LOADS", "WINDOWS", "SparkEngine", "spark_errors"]
