"""The Dagster shell: its graph, in-process materializations, schedule, sensor, validation.

Every test works in `tmp_path`; nothing is written into the repository, and no daemon runs.
"""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets import build_assets, window_partitions
from dagster_project.definitions import build_definitions, defs
from dagster_project.resources import OrgjourneyResource
from dagster_project.sensors import inbox_sensor

REPO = Path(__file__).resolve().parents[1]
FIRST_WINDOW = "2026-01-01"
PARTITION = "2026-01-05-09:00"

INBOX = {
    "organizations.csv": (
        "org_id,name,tags,timezone,snapshot_at\n"
        "o1,Acme,customer;vip,Europe/Paris,2026-01-01T00:00Z\n"
        "o2,Globex,,UTC,2026-01-01T00:00Z\n"
    ),
    "contacts.csv": (
        "contact_id,email,phone,sms_opt_in,snapshot_at\n"
        "c1,ann@acme.test,,false,2026-01-01T00:00Z\n"
        "c2,bob@acme.test,+15550002,true,2026-01-01T00:00Z\n"
        "c3,cy@globex.test,,false,2026-01-01T00:00Z\n"
    ),
    "memberships.csv": (
        "contact_id,org_id,snapshot_at\n"
        "c1,o1,2026-01-01T00:00Z\n"
        "c2,o1,2026-01-01T00:00Z\n"
        "c3,o2,2026-01-01T00:00Z\n"
    ),
    "activities-2026-01-05.csv": (
        "event_id,contact_id,activity_type,occurred_at,properties\n"
        "e1,c1,form_submitted,2026-01-05T07:40Z,{}\n"  # history before the first window
        "e2,c1,email_opened,2026-01-05T09:10Z,{}\n"
        "e3,c3,form_submitted,2026-01-05T09:59Z,{}\n"  # o2 enters in the 09:00 window
        "e4,c2,form_submitted,2026-01-05T10:20Z,{}\n"  # o1 enters in the 10:00 window
    ),
}

WELCOME = """\
id: welcome
name: Welcome
version: 1
state: published
entry: {when: activity, activity: form_submitted}
steps:
  - id: hello
    send_email: {template: hello}
"""


@pytest.fixture
def resource(tmp_path: Path) -> OrgjourneyResource:
    """A resource whose every path lies in tmp_path: the small inbox and one journey."""
    inbox, journeys = tmp_path / "inbox", tmp_path / "journeys"
    inbox.mkdir()
    journeys.mkdir()
    for name, text in INBOX.items():
        (inbox / name).write_text(text)
    (journeys / "welcome.yaml").write_text(WELCOME)
    return OrgjourneyResource(
        warehouse=str(tmp_path / "warehouse.duckdb"),
        journeys=str(journeys),
        inbox=str(inbox),
        exports=str(tmp_path / "exports"),
    )


ASSETS = build_assets(window_partitions(FIRST_WINDOW))


def materialize(resource: OrgjourneyResource, **options) -> dg.ExecuteInProcessResult:
    """Ingest, then the window asset, in one in-process run."""
    return dg.materialize(ASSETS, resources={"orgjourney": resource}, **options)


def backfill_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a single-run backfill over the partitions first..last."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def window_materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    """Metadata of each `journey_window` partition materialized by the run."""
    return {
        event.partition: {key: value.value for key, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("journey_window")
    }


def ingest_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [event] = [
        event
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("inbox_files")
    ]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def query(resource: OrgjourneyResource, sql: str) -> list[tuple]:
    with resource.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def windows(resource: OrgjourneyResource) -> list[tuple[int, int]]:
    """The processed windows as (start hour, end hour) on 2026-01-05."""
    return [
        (start.hour, end.hour)
        for start, end in query(resource, "select window_start, window_end from runs order by 1")
    ]


def sends(resource: OrgjourneyResource) -> list[tuple]:
    return query(
        resource,
        "select hour(run_at), journey_id, step_id, org_id, contact_id, channel, address, template"
        " from sends order by all",
    )


def test_definitions_graph_is_the_expected_one():
    definitions = build_definitions(first_window=FIRST_WINDOW)
    graph = definitions.resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    jobs = {
        name: definitions.resolve_job_def(name)
        for name in ("hourly_window_job", "inbox_ingest_job")
    }
    assert {
        "assets": sorted(nodes),
        "deps": {
            name: sorted(key.to_user_string() for key in node.parent_keys)
            for name, node in nodes.items()
        },
        "pools": {name: sorted(node.pools) for name, node in nodes.items()},
        "partitioned": sorted(name for name, node in nodes.items() if node.is_partitioned),
        "jobs": {
            name: sorted(key.to_user_string() for key in job.asset_layer.executable_asset_keys)
            for name, job in jobs.items()
        },
        "schedules": sorted(schedule.name for schedule in definitions.schedules),
        "sensors": sorted(sensor.name for sensor in definitions.sensors),
        "resources": sorted(definitions.resources),
    } == {
        "assets": ["inbox_files", "journey_window"],
        "deps": {"inbox_files": [], "journey_window": ["inbox_files"]},
        "pools": {
            "inbox_files": ["orgjourney_warehouse"],
            "journey_window": ["orgjourney_warehouse"],
        },
        "partitioned": ["journey_window"],
        "jobs": {
            "hourly_window_job": ["inbox_files", "journey_window"],
            "inbox_ingest_job": ["inbox_files"],
        },
        "schedules": ["hourly_window_schedule"],
        "sensors": ["inbox_sensor"],
        "resources": ["orgjourney"],
    }
    assert nodes["journey_window"].backfill_policy == dg.BackfillPolicy.single_run()


def test_partitions_start_at_orgjourney_start_else_2026_10_01(monkeypatch):
    monkeypatch.delenv("ORGJOURNEY_START", raising=False)
    assert window_partitions().get_first_partition_key() == "2026-10-01-00:00"

    monkeypatch.setenv("ORGJOURNEY_START", "2026-03-02T05:30Z")
    graph = defs().resolve_asset_graph()
    partitions = graph.get(dg.AssetKey("journey_window")).partitions_def
    assert partitions.get_first_partition_key() == "2026-03-02-05:00"
    assert partitions.timezone == "UTC"

    monkeypatch.setenv("ORGJOURNEY_START", "soon")
    with pytest.raises(ValueError, match="ORGJOURNEY_START"):
        window_partitions()


def test_window_partition_processes_its_hour_and_sends(resource, tmp_path):
    result = materialize(resource, partition_key=PARTITION)

    assert result.success
    assert windows(resource) == [(9, 10)]
    assert sends(resource) == [
        (10, "welcome", "hello", "o2", "c3", "email", "cy@globex.test", "hello")
    ]
    ingest = ingest_metadata(result)
    assert (ingest["files_loaded"], ingest["rows_loaded"], ingest["rows_rejected"]) == (4, 12, 0)
    assert ingest["rows_loaded/activities"] == 4
    assert ingest["dagster/row_count"] == 12
    window = window_materializations(result)[PARTITION]
    assert (window["windows_processed"], window["windows_already_processed"]) == (1, 0)
    assert (window["entered/welcome"], window["sent/welcome"]) == (1, 1)
    exported = tmp_path / "exports" / "sends" / "run=2026-01-05T10" / "journey=welcome"
    assert (exported / "step=hello" / "channel=email" / "sends.csv").exists()


def test_partition_materialized_again_sends_nothing_twice(resource):
    materialize(resource, partition_key=PARTITION)
    sent_before = sends(resource)

    again = materialize(resource, partition_key=PARTITION)

    assert again.success
    assert windows(resource) == [(9, 10)]
    assert sends(resource) == sent_before
    ingest = ingest_metadata(again)
    assert (ingest["files_loaded"], ingest["files_already_loaded"]) == (0, 4)
    window = window_materializations(again)[PARTITION]
    assert (window["windows_processed"], window["windows_already_processed"]) == (0, 1)
    assert window["sent"] == 0
    assert "already processed" in window["notes"]


def test_backfill_of_three_hours_runs_three_consecutive_windows_in_one_run(resource):
    result = materialize(resource, tags=backfill_tags("2026-01-05-08:00", "2026-01-05-10:00"))

    assert result.success
    assert windows(resource) == [(8, 9), (9, 10), (10, 11)]
    assert [row[:5] for row in sends(resource)] == [
        (10, "welcome", "hello", "o2", "c3"),
        (11, "welcome", "hello", "o1", "c1"),
        (11, "welcome", "hello", "o1", "c2"),
    ]
    materialized = window_materializations(result)
    assert sorted(materialized) == ["2026-01-05-08:00", "2026-01-05-09:00", "2026-01-05-10:00"]
    assert {metadata["windows_processed"] for metadata in materialized.values()} == {3}
    assert {metadata["sent/welcome"] for metadata in materialized.values()} == {3}


def test_a_later_partition_first_processes_the_windows_before_it_in_order(resource):
    materialize(resource, partition_key="2026-01-05-08:00")

    result = materialize(resource, partition_key="2026-01-05-10:00")

    assert result.success
    assert windows(resource) == [(8, 9), (9, 10), (10, 11)]
    materialized = window_materializations(result)
    assert sorted(materialized) == ["2026-01-05-09:00", "2026-01-05-10:00"]
    assert materialized["2026-01-05-09:00"]["caught_up_by_run"] == result.run_id
    assert materialized["2026-01-05-10:00"]["windows_caught_up"] == 1


def test_a_partition_before_the_first_processed_window_stays_history(resource):
    materialize(resource, partition_key=PARTITION)

    earlier = materialize(resource, partition_key="2026-01-05-07:00")

    assert earlier.success
    assert windows(resource) == [(9, 10)]
    window = window_materializations(earlier)["2026-01-05-07:00"]
    assert (window["windows_processed"], window["windows_before_first_window"]) == (0, 1)
    assert "history" in window["notes"]


def test_a_changed_published_version_fails_the_run_and_processes_no_window(resource):
    materialize(resource, partition_key=PARTITION)
    journey = Path(resource.journeys) / "welcome.yaml"
    journey.write_text(WELCOME.replace("template: hello", "template: hello-v2"))

    result = materialize(resource, partition_key="2026-01-05-10:00", raise_on_error=False)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "welcome.yaml" in message
    assert "version 1 was published with another definition" in message
    assert windows(resource) == [(9, 10)]


def test_a_file_rejected_whole_fails_the_ingest_run_naming_the_file(resource):
    (Path(resource.inbox) / "activities-late.csv").write_text(
        "event_id,contact_id,occurred_at\nx1,c1,2026-01-05T09:00Z\n"
    )

    result = dg.materialize(ASSETS[:1], resources={"orgjourney": resource}, raise_on_error=False)

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "activities-late.csv" in message
    assert "activity_type" in message
    assert query(resource, "select count(*) from activities") == [(4,)]


def test_inbox_sensor_requests_an_ingest_run_for_new_files_only(resource, monkeypatch):
    # The code location's own resource, configured by the environment as in production.
    monkeypatch.setenv("ORGJOURNEY_INBOX", resource.inbox)
    from_env = OrgjourneyResource()
    assert inbox_sensor.job_name == "inbox_ingest_job"

    first = inbox_sensor(dg.build_sensor_context(resources={"orgjourney": from_env}))
    assert [request.run_key for request in first.run_requests] == [first.cursor]

    unchanged = inbox_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"orgjourney": from_env})
    )
    assert isinstance(unchanged, dg.SkipReason)

    (Path(resource.inbox) / "activities-2026-01-05T11.csv").write_text(
        "event_id,contact_id,activity_type,occurred_at\ne5,c2,page_viewed,2026-01-05T11:20Z\n"
    )
    changed = inbox_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"orgjourney": from_env})
    )
    assert len(changed.run_requests) == 1
    assert changed.cursor != first.cursor
    assert changed.run_requests[0].run_key == changed.cursor


def test_hourly_schedule_runs_the_window_of_the_hour_that_just_ended():
    definitions = build_definitions(first_window=FIRST_WINDOW)
    schedule = definitions.resolve_schedule_def("hourly_window_schedule")
    context = dg.build_schedule_context(
        repository_def=definitions.get_repository_def(),
        scheduled_execution_time=datetime(2026, 1, 5, 10, 5, tzinfo=UTC),
    )

    [request] = schedule.evaluate_tick(context).run_requests

    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        "hourly_window_job",
        "5 * * * *",
        "UTC",
    )
    assert request.partition_key == PARTITION
    job = definitions.resolve_job_def(schedule.job_name)
    assert dg.AssetKey("journey_window") in job.asset_layer.executable_asset_keys


def test_the_shipped_instance_settings_limit_the_warehouse_pool_to_one(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster_project" / "dagster.yaml").read_text())

    with dg.DagsterInstance.from_config(str(home)) as instance:
        pools = instance.get_concurrency_config().pool_config

    assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "run")


def test_workspace_validates_without_touching_the_warehouse(tmp_path):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "ORGJOURNEY_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "ORGJOURNEY_INBOX": str(tmp_path / "inbox"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    (tmp_path / "dagster_home").mkdir()
    dagster = Path(sys.executable).with_name("dagster")

    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()
