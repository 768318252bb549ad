"""The Spark engine against DuckDB (`make test-spark`; SPEC section 7): the same inputs and
journeys give the same contract tables row for row, a window is all or nothing, a crashed
window is redone cleanly, and readers see only windows in `runs`.

Worlds come from the differential generator (`orgjourney_reference.world`): each runs
through the CLI twice, `--engine duckdb` and `--engine spark`, and every table the reference
compares must be equal. Spark runs in this process, `local[2]` with few shuffle partitions,
one session for the whole module (a command reuses the process's session).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import test_dagster as dagster_tests
import test_organizations_view as organizations_view
from conftest import Scenario
from hypothesis import HealthCheck, given, note, settings
from test_reference import _version_bumped_audience_world, assert_same_tables

from dagster_project.resources import OrgjourneyResource
from orgjourney_pipeline.engines.spark.mirror import open_mirror
from orgjourney_pipeline.engines.spark.storage import WINDOWS, SparkWarehouse
from orgjourney_pipeline.faults import FAULT_ENV, InjectedFault
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_reference.model import HOUR, TABLES, sort_rows
from orgjourney_reference.world import Driver, World, run_engine, worlds

pytestmark = pytest.mark.spark

SPARK_CONF = (
    "spark.master=local[2] spark.sql.shuffle.partitions=2 spark.default.parallelism=2 "
    "spark.driver.memory=1g"
)


@pytest.fixture(autouse=True)
def _small_spark(monkeypatch):
    monkeypatch.setenv("ORGJOURNEY_SPARK_CONF", SPARK_CONF)


class SparkDriver(Driver):
    """The reference's CLI driver with `--engine spark` and a Spark warehouse directory."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.paths["warehouse"] = folder / "spark-warehouse"

    def cli(self, *args: str, expect_exit: int = 0):
        from click.testing import CliRunner

        from orgjourney_pipeline.cli import cli

        options = ["--engine", "spark"]
        for key, path in self.paths.items():
            options += [f"--{key}", str(path)]
        result = CliRunner().invoke(cli, [*options, *args], catch_exceptions=False)
        assert result.exit_code == expect_exit, result.output
        return result

    def tables(self) -> dict[str, list[tuple]]:
        con = open_mirror(SparkWarehouse(self.paths["warehouse"]))
        try:
            return {
                table: sort_rows(con.execute(f"select {', '.join(cols)} from {table}").fetchall())
                for table, cols in TABLES.items()
            }
        finally:
            con.close()

    def runs(self) -> list[tuple]:
        con = open_mirror(SparkWarehouse(self.paths["warehouse"]), ["runs"])
        try:
            return con.execute(
                "select window_start, window_end, status from runs order by window_end"
            ).fetchall()
        finally:
            con.close()


def run_spark(world: World, folder: Path) -> dict[str, list[tuple]]:
    """The world through the CLI on Spark (as `run_engine` does on DuckDB)."""
    import orgjourney_reference.world as world_module

    original = world_module.Driver
    world_module.Driver = SparkDriver
    try:
        return run_engine(world, folder)
    finally:
        world_module.Driver = original


def test_a_scenario_world_gives_the_same_tables_on_both_engines(tmp_path):
    """The version-bump regression world: two invocations, a version change (cut to eight
    windows, 06:00 to 14:00: the sends of 07:00, 10:00 and 13:00)."""
    world = _version_bumped_audience_world()
    world.throughs = [world.throughs[0], world.throughs[0] + 6 * HOUR]
    duckdb_tables = run_engine(world, tmp_path / "duckdb")
    spark_tables = run_spark(world, tmp_path / "spark")
    assert spark_tables["sends"]  # the world sends: the comparison is not of empty tables
    assert_same_tables(spark_tables, duckdb_tables, "spark", "duckdb")


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=worlds(max_windows=7))
def test_random_worlds_give_the_same_tables_on_both_engines(world: World):
    note(world.describe())
    with tempfile.TemporaryDirectory() as folder:
        duckdb_tables = run_engine(world, Path(folder) / "duckdb")
        spark_tables = run_spark(world, Path(folder) / "spark")
    assert_same_tables(spark_tables, duckdb_tables, "spark", "duckdb")


def _one_run_ingested(tmp_path: Path) -> tuple[SparkDriver, dict[str, list[tuple]], str, str]:
    """A world of one journey and one run, ingested on Spark: the driver, the tables DuckDB
    gives for the run, and the run's `--from` and `--through`."""
    world = _version_bumped_audience_world()
    world.throughs = world.throughs[:1]
    world.journey_texts = world.journey_texts[:1]
    expected = run_engine(world, tmp_path / "duckdb")
    driver = SparkDriver(tmp_path / "spark")
    driver.write_journeys(world.journey_texts[0])
    driver.write_inputs(world, 0)
    driver.cli("ingest")
    start, through = f"{world.start:%Y-%m-%dT%H:%MZ}", f"{world.throughs[0]:%Y-%m-%dT%H:%MZ}"
    return driver, expected, start, through


@pytest.mark.parametrize("point", ["72_record_steps", "spark_commit_sends"])
def test_a_window_that_crashed_is_invisible_and_redone_cleanly(tmp_path, monkeypatch, point):
    """A fault inside a window's SQL or half-way through its commit (some partitions written,
    `runs` not): readers see the windows before it only, and the next run gives the tables
    of a run that never crashed."""
    driver, expected, start, through = _one_run_ingested(tmp_path)
    monkeypatch.setenv(FAULT_ENV, f"raise:{point}")
    with pytest.raises(InjectedFault):
        driver.cli("run", "--from", start, "--through", through)
    assert driver.runs() == []
    assert all(rows == [] for rows in driver.tables().values())
    monkeypatch.delenv(FAULT_ENV)
    driver.cli("run", "--from", start, "--through", through)
    assert len(driver.runs()) == 2
    assert_same_tables(driver.tables(), expected, "spark after a crash", "duckdb")


def test_a_crash_at_every_step_and_commit_point_of_a_window_is_invisible_and_redone(
    tmp_path, monkeypatch
):
    """As DuckDB's crash tests: a fault at every step of the window's SQL, then at every point
    of its commit, which writes its tables' partitions one by one, `runs` last. A crash at any
    of them leaves readers seeing nothing of the window, and after every such crash in turn
    the next run gives the tables of a run that never crashed. A crash after `runs` (the
    window committed, its old states not yet removed) leaves the window whole."""
    driver, expected, start, through = _one_run_ingested(tmp_path)
    steps = [step.name for step in window_steps.flat_steps(window_steps.load_steps())]
    # `exported_windows` is not in the window's commit: the exports write it after it.
    outside = (WINDOWS.marker, "exported_windows")
    before_marker = [table for table in WINDOWS.tables if table not in outside]
    points = [*steps, *(f"spark_commit_{table}" for table in before_marker)]
    crashed = []
    for point in points:
        monkeypatch.setenv(FAULT_ENV, f"raise:{point}")
        try:
            driver.cli("run", "--from", start, "--through", through)
        except InjectedFault:
            crashed.append(point)
            assert driver.runs() == [], point
            assert all(rows == [] for rows in driver.tables().values()), point
            continue
        raise AssertionError(f"the window committed without reaching {point}")
    assert crashed == points
    monkeypatch.setenv(FAULT_ENV, f"raise:spark_commit_{WINDOWS.marker}")
    with pytest.raises(InjectedFault):
        driver.cli("run", "--from", start, "--through", through)
    monkeypatch.delenv(FAULT_ENV)
    assert_same_tables(driver.tables(), expected, "spark, crashed after runs", "duckdb")
    driver.cli("run", "--from", start, "--through", through)  # nothing left to do
    assert len(driver.runs()) == 2
    assert_same_tables(driver.tables(), expected, "spark after every crash", "duckdb")


def test_a_redone_window_that_writes_nothing_leaves_no_rows_of_the_crashed_one(tmp_path):
    """Named partitions: a partition left by a crashed commit is dropped before the next
    commit, even where the redone window has no rows for that table."""
    warehouse = SparkWarehouse(tmp_path / "wh")
    stale = warehouse.partition_dir("sends", "20990101T0000")
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"")
    (warehouse.table_dir("runs") / "window_key=0").mkdir(parents=True)
    assert warehouse.visible_keys("sends") == []  # not committed: no reader sees it
    warehouse.remove_uncommitted(WINDOWS)
    assert not stale.exists()


class SparkScenario(Scenario):
    """A `Scenario` driven with `--engine spark`, read through the DuckDB mirror."""

    def rows(self, sql: str, *params) -> list[tuple]:
        con = open_mirror(SparkWarehouse(self.paths["warehouse"]))
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()


def test_the_organizations_view_lays_the_updates_over_the_snapshot_on_spark(tmp_path):
    """As `test_organizations_view` on DuckDB (the mirror builds the view from Spark's rows)."""
    driver = SparkDriver(tmp_path)
    scenario = SparkScenario(driver.paths, driver.cli)
    organizations_view.world(scenario)
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert organizations_view.organizations(scenario) == {
        "o1": ("Acme", ["VIP", "hot"], "gold", "ops"),
        "o2": ("Beta", ["Cold"], "silver", None),
    }


def test_the_dagster_assets_run_on_spark_as_on_duckdb(tmp_path):
    """The same assets on `engine: spark`: a backfill of two hours ingests, runs and checks
    on Spark, and records the partitions, rows and check results DuckDB's resource does."""
    resources = {}
    for engine in ("duckdb", "spark"):
        (tmp_path / engine).mkdir()
        duckdb_world = dagster_tests.small_world(tmp_path / engine)
        warehouse = tmp_path / engine / "spark-warehouse"
        resources[engine] = (
            duckdb_world
            if engine == "duckdb"
            else OrgjourneyResource(
                **{**duckdb_world.model_dump(), "engine": engine, "warehouse": str(warehouse)}
            )
        )
    tags = dagster_tests.backfill_tags("2026-01-05-09:00", "2026-01-05-10:00")
    results = {
        engine: dagster_tests.materialize(resource, tags=tags)
        for engine, resource in resources.items()
    }
    spark_warehouse = SparkWarehouse(tmp_path / "spark" / "spark-warehouse")
    assert spark_warehouse.visible_keys("runs")  # Spark's own tables, committed
    assert not list((tmp_path / "spark").rglob("*.duckdb"))  # no DuckDB file written
    sends = {engine: dagster_tests.sends(resource) for engine, resource in resources.items()}
    assert sends["spark"] == sends["duckdb"]
    assert [row[3] for row in sends["spark"]] == ["o2", "o1", "o1"]  # o2 at 09:00, o1 at 10:00

    def recorded(result, asset):
        return {
            partition: metadata["dagster/row_count"]
            for partition, metadata in dagster_tests.materialized(result, asset).items()
        }

    for asset in ("sends", "enrollments", "runs", "contacts"):
        assert recorded(results["spark"], asset) == recorded(results["duckdb"], asset), asset
    assert recorded(results["spark"], "sends") == {"2026-01-05-09:00": 1, "2026-01-05-10:00": 2}

    def checks(result):
        return {
            (str(check.asset_key), check.check_name): check.passed
            for check in result.get_asset_check_evaluations()
        }

    assert checks(results["spark"]) == checks(results["duckdb"])
    assert checks(results["spark"]) and all(checks(results["spark"]).values())
