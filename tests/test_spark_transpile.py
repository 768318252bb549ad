"""The SQL carried to Spark: the rewrites Spark needs, and every statement of the benchmark's
windows (its 50 journeys over 10 windows) transpiled by `to_spark` without a construct that
does not carry. No Spark here (sqlglot only): this runs in `make test`, so a new construct in
a step file, a template or the compiler fails here first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
import sqlglot

from orgjourney_pipeline import sample, warehouse
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.engines.spark.storage import contract_schemas, family_of
from orgjourney_pipeline.engines.spark.transpile import UnsupportedOnSpark, to_spark
from orgjourney_pipeline.ingest import ingest_paths
from orgjourney_pipeline.windows.run import run_windows


def test_every_contract_table_is_stored_on_spark_by_a_family():
    # A table a migration adds is kept on Spark only once a family commits it with a window
    # or a load; the migrations ledger is DuckDB's own.
    unstored = [table for table in contract_schemas() if family_of(table) is None]
    assert unstored == ["schema_migrations"]


def test_a_hex_bucket_becomes_conv_not_a_0x_cast():
    spark = to_spark("select cast(('0x' || substr(md5(a || '|' || b), 1, 8)) as bigint) % 100")
    assert "CONV(SUBSTRING(MD5(a || '|' || b), 1, 8), 16, 10)" in spark
    assert "'0x'" not in spark


def test_list_filter_of_not_null_becomes_array_compact():
    spark = to_spark("select list_filter([case when x > 1 then 1 end], n -> n is not null) from t")
    assert spark == "SELECT ARRAY_COMPACT(ARRAY(CASE WHEN x > 1 THEN 1 END)) FROM t"


def test_an_unnest_over_a_subquery_is_exploded_one_level_up():
    spark = to_spark(
        "select t.k, unnest(list_filter([case when (select count(*) from u where u.k = t.k) > 1"
        " then 1 end], n -> n is not null)) as b from t where t.x > 0"
    )
    outer = sqlglot.parse_one(spark, read="spark")
    explode = outer.find(sqlglot.exp.Explode)
    assert explode.find(sqlglot.exp.Subquery) is None  # no subquery inside the generator
    assert outer.find(sqlglot.exp.Subquery) is not None  # it moved below
    assert [p.alias_or_name for p in outer.expressions] == ["k", "b"]


def test_json_length_at_a_path_and_json_casts_carry():
    assert to_spark("select json_array_length(d, '$.steps')") == (
        "SELECT JSON_ARRAY_LENGTH(GET_JSON_OBJECT(d, '$.steps'))"
    )
    assert to_spark("select cast(t as json)") == "SELECT CAST(t AS STRING)"


def test_a_construct_that_does_not_carry_is_named():
    with pytest.raises(UnsupportedOnSpark, match="in: select"):
        to_spark("select x from t where ")


class RecordingEngine(DuckDBEngine):
    """DuckDB, recording every statement the pipeline gives an engine."""

    def __init__(self, con):
        super().__init__(con)
        self.statements: list[str] = []

    def write(self, select: str, target: str, mode: str, keys: Sequence[str] = ()) -> int:
        self.statements.append(select)
        return super().write(select, target, mode, keys)

    def rows(self, select: str):
        self.statements.append(select)
        return super().rows(select)

    def arrow(self, select: str):
        self.statements.append(select)
        return super().arrow(select)


@pytest.mark.spark  # half a minute of Spark planning: with the Spark suite, not `make test`
def test_every_statement_of_the_benchmarks_windows_carries_to_spark(tmp_path):
    manifest = sample.write_sample(tmp_path / "inbox", "xs", seed=3, formats="parquet")
    write_journeys(tmp_path / "journeys", 50, manifest.end)
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        assert ingest_paths(con, manifest.files).ok
        engine = RecordingEngine(con)
        report = run_windows(
            engine,
            manifest.end,
            manifest.end - timedelta(hours=10),
            journeys_dir=tmp_path / "journeys",
        )
    finally:
        con.close()
    assert len(report.windows) == 10
    assert report.catalog is not None and not report.catalog.errors
    problems, rewritten = [], 0
    for statement in dict.fromkeys(engine.statements):
        try:
            spark = to_spark(statement)
        except UnsupportedOnSpark as error:
            problems.append(str(error).splitlines()[0] + "\n  " + statement[:300])
            continue
        rewritten += "CONV(" in spark or "ARRAY_COMPACT(" in spark
    assert not problems, "statements that do not carry to Spark:\n" + "\n".join(problems)
    assert rewritten  # the benchmark's splits and fused branches were rewritten
