"""Dagster tells the warehouse's truth: windows the CLI processed reach it through the ledger
sensor, in process and through a real webserver and daemon.

Every test works in `tmp_path` (warehouse, inbox, journeys, DAGSTER_HOME).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner
from test_dagster import (
    REPO,
    WINDOW_TABLES,
    materialize,
    materialized,
    partition_of,
    query,
    rows_per_partition,
    small_world,
)

from dagster_project.assets import build_assets, window_partitions
from dagster_project.definitions import build_definitions
from dagster_project.resources import OrgjourneyResource
from dagster_project.sensors import build_ledger_sensor
from orgjourney_pipeline import contract
from orgjourney_pipeline.cli import cli

# The sensor's partitions start at 09:00: the CLI's 08:00 window is before them.
FIRST_PARTITION = "2026-01-05T09:00Z"
SENSOR = build_ledger_sensor(window_partitions(FIRST_PARTITION))


@pytest.fixture
def resource(tmp_path: Path) -> OrgjourneyResource:
    """The small world of test_dagster under tmp_path."""
    return small_world(tmp_path)


def orgjourney_run(resource: OrgjourneyResource, *args: str) -> None:
    """`orgjourney ingest` and `orgjourney run ARGS` on the resource's paths."""
    options = [
        item
        for key in ("warehouse", "journeys", "inbox", "exports")
        for item in (f"--{key}", getattr(resource, key))
    ]
    for command in (["ingest"], ["run", *args]):
        result = CliRunner().invoke(cli, [*options, *command], catch_exceptions=False)
        assert result.exit_code == 0, result.output


def tick(resource: OrgjourneyResource, instance: dg.DagsterInstance, cursor: str | None = None):
    """One evaluation of the ledger sensor; its events stored as the daemon stores them."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"orgjourney": resource}
    )
    result = SENSOR(context)
    if isinstance(result, dg.SensorResult):
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
    return result


def ledger_partitions(resource: OrgjourneyResource, since: str = FIRST_PARTITION) -> list[str]:
    """The partitions of the ledger's windows from `since` on."""
    return [
        partition_of(end)
        for (end,) in query(
            resource,
            f"select window_end from runs where window_start >= '{since[:-1]}' order by 1",
        )
    ]


def test_the_ledger_sensor_reports_the_windows_the_cli_processed(resource):
    orgjourney_run(resource, "--from", "2026-01-05T08:00Z", "--through", "2026-01-05T11:00Z")

    with dg.DagsterInstance.ephemeral() as instance:
        result = tick(resource, instance)

        reported = materialized(result.asset_events, "runs")
        assert sorted(reported) == ledger_partitions(resource)
        assert "2026-01-05-08:00" not in reported  # before the first partition
        for table, column in contract.WINDOW_COLUMNS.items():
            recorded = materialized(result.asset_events, table)
            counts = rows_per_partition(resource, table, column)
            assert {p: m["dagster/row_count"] for p, m in recorded.items()} == {
                p: counts[p] for p in ledger_partitions(resource)
            }, table
        for table in WINDOW_TABLES:
            assert instance.get_materialized_partitions(dg.AssetKey(table)) == set(reported)
        assert result.cursor == "2026-01-05T11:00Z"

        again = tick(resource, instance, result.cursor)
        assert isinstance(again, dg.SkipReason)


def test_windows_dagster_materialized_are_not_reported_again(resource):
    with dg.DagsterInstance.ephemeral() as instance:
        assets = build_assets(window_partitions(FIRST_PARTITION))
        ran = dg.materialize(
            assets,
            resources={"orgjourney": resource},
            partition_key="2026-01-05-09:00",
            instance=instance,
        )
        assert ran.success
        orgjourney_run(resource, "--through", "2026-01-05T11:00Z")

        result = tick(resource, instance)

        assert sorted(materialized(result.asset_events, "runs")) == ledger_partitions(
            resource, "2026-01-05T10:00Z"
        )
        assert sorted(instance.get_materialized_partitions(dg.AssetKey("sends"))) == (
            ledger_partitions(resource)
        )


def test_the_ledger_sensor_skips_the_tick_while_another_process_writes(resource):
    materialize(resource, partition_key="2026-01-05-09:00")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
            " sys.stdin.read()",
            resource.warehouse,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with dg.DagsterInstance.ephemeral() as instance:
            started = time.monotonic()
            result = tick(resource, instance)
            assert isinstance(result, dg.SkipReason)
            assert "being written" in result.skip_message
            assert time.monotonic() - started < 10  # it waited for no lock
    finally:
        holder.communicate("", timeout=30)


def test_the_ledger_sensor_skips_the_tick_while_a_dagster_run_processes_windows(resource):
    materialize(resource, partition_key="2026-01-05-09:00")
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="hourly_window_job", status=dg.DagsterRunStatus.STARTED)
        )

        result = tick(resource, instance)

        assert isinstance(result, dg.SkipReason)
        assert "is processing windows" in result.skip_message


# -- a real webserver and daemon ---------------------------------------------------------------

GRAPH_QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"
PARTITIONS_QUERY = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { assetMaterializations { partition runId } }
  }
}
"""
LOCATIONS_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
SERVER_SECONDS = 300  # the bound on each wait below


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query_text: str, **variables) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query_text, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        document = json.load(response)
    assert "errors" not in document, document
    return document["data"]


def location_error(port: int) -> str | None:
    """The code location's load error, if the webserver could not load the definitions."""
    entries = graphql(port, LOCATIONS_QUERY)["workspaceOrError"].get("locationEntries") or []
    for entry in entries:
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "PythonError":
            return loaded["message"]
    return None


def server_logs(processes: list[subprocess.Popen]) -> str:
    """The last lines each server wrote to its log, for a failure message."""
    return "\n".join(
        f"--- {process.log}:\n" + "".join(Path(process.log).read_text().splitlines(True)[-30:])
        for process in processes
    )


def wait_for(what: str, probe, processes: list[subprocess.Popen], port: int):
    """Poll `probe` until it returns something true; fail at once when a server exited or the
    code location did not load, and after SERVER_SECONDS, with the servers' logs."""
    deadline = time.monotonic() + SERVER_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                pytest.fail(
                    f"{process.args[0]} exited: {process.returncode}\n{server_logs(processes)}"
                )
        try:
            error = location_error(port)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            error = None
        if error:
            pytest.fail(f"the code location did not load: {error}\n{server_logs(processes)}")
        try:
            found = probe()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            found = None
        if found:
            return found
        time.sleep(0.5)  # the poll's pace, not a wait for a state
    pytest.fail(f"no {what} within {SERVER_SECONDS} s\n{server_logs(processes)}")


@pytest.fixture
def dagster_servers(resource, tmp_path):
    """`dagster-webserver` and `dagster-daemon` on the workspace, a fresh DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    settings = (REPO / "dagster_project" / "dagster.yaml").read_text()
    # A loaded machine may start the code server slower than Dagster's default 180 s allows.
    settings += f"code_servers:\n  local_startup_timeout: {SERVER_SECONDS}\n"
    (home / "dagster.yaml").write_text(settings)
    # Create the instance's storage before the two servers start: each would otherwise stamp
    # the fresh SQLite schema itself, and racing they leave two alembic heads (as `dagster dev`
    # avoids by opening the instance first).
    from dagster import DagsterInstance

    DagsterInstance.from_config(str(home)).dispose()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ORGJOURNEY_WAREHOUSE": resource.warehouse,
        "ORGJOURNEY_JOURNEYS": resource.journeys,
        "ORGJOURNEY_INBOX": resource.inbox,
        "ORGJOURNEY_EXPORTS": resource.exports,
        "ORGJOURNEY_START": FIRST_PARTITION,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    port = free_port()
    bin_dir = Path(sys.executable).parent
    commands = [
        [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)],
        [str(bin_dir / "dagster-daemon"), "run"],
    ]
    processes = []
    for command in commands:
        log = tmp_path / f"{Path(command[0]).name}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [*command, "-w", "workspace.yaml"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        process.log = log
        processes.append(process)
    try:
        yield port, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


@pytest.mark.slow  # starts a real webserver and daemon
def test_the_webserver_shows_the_table_graph_and_the_windows_the_cli_processed(
    resource, dagster_servers
):
    orgjourney_run(resource, "--from", "2026-01-05T08:00Z", "--through", "2026-01-05T11:00Z")
    port, processes = dagster_servers

    nodes = wait_for(
        "asset graph", lambda: graphql(port, GRAPH_QUERY)["assetNodes"], processes, port
    )

    shown = {
        "/".join(node["assetKey"]["path"]): sorted(
            "/".join(key["path"]) for key in node["dependencyKeys"]
        )
        for node in nodes
    }
    graph = build_definitions(FIRST_PARTITION).resolve_asset_graph()
    assert shown == {
        key.to_user_string(): sorted(
            parent.to_user_string() for parent in graph.get(key).parent_keys
        )
        for key in graph.get_all_asset_keys()
    }

    expected = ledger_partitions(resource)

    def sends_partitions():
        node = graphql(port, PARTITIONS_QUERY, path=["sends"])["assetNodeOrError"]
        events = node.get("assetMaterializations") or []
        return events if len(events) >= len(expected) else None

    reported = wait_for("reported windows", sends_partitions, processes, port)
    assert sorted(event["partition"] for event in reported) == expected
    assert {event["runId"] for event in reported} == {""}  # runless: no Dagster run
