"""The Dagster shell: its graph, in-process materializations, schedule, sensor, validation.

Every test works in `tmp_path`; nothing is written into the repository, and no daemon runs.
"""

import os
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.assets import build_assets, window_partitions
from dagster_project.definitions import build_definitions, defs
from dagster_project.resources import OrgjourneyResource
from dagster_project.sensors import inbox_sensor
from orgjourney_pipeline import checks, contract

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
    return small_world(tmp_path)


def small_world(tmp_path: Path) -> OrgjourneyResource:
    """The small inbox and one journey under tmp_path, and a resource on them."""
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
WINDOW_TABLES = [
    "journeys",
    "org_activity",
    "unsubscribes",
    "conversions",
    "enrollments",
    "enrollment_steps",
    "sends",
    "suppressions",
    "org_updates",
    "runs",
]


def materialize(resource: OrgjourneyResource, **options) -> dg.ExecuteInProcessResult:
    """Ingest, then the window asset, in one in-process run."""
    return dg.materialize(ASSETS, resources={"orgjourney": resource}, **options)


def backfill_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a single-run backfill over the partitions first..last."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def materialized(result, asset: str = "sends") -> dict[str, dict[str, object]]:
    """Metadata of each partition of `asset` materialized by the run (or sensor tick)."""
    events = (
        result.get_asset_materialization_events()
        if isinstance(result, dg.ExecuteInProcessResult)
        else result
    )
    found = {}
    for event in events:
        materialization = getattr(event, "materialization", event)
        if materialization.asset_key == dg.AssetKey.from_user_string(asset):
            found[materialization.partition] = {
                key: value.value for key, value in materialization.metadata.items()
            }
    return found


def ingest_metadata(result: dg.ExecuteInProcessResult, table: str) -> dict[str, object]:
    [metadata] = materialized(result, table).values()
    return metadata


def query(resource: OrgjourneyResource, sql: str) -> list[tuple]:
    with resource.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def windows(resource: OrgjourneyResource) -> list[tuple[int, int]]:
    """The processed windows as (start hour, end hour) on 2026-01-05."""
    return [
        (start.hour, end.hour)
        for start, end in query(resource, "select window_start, window_end from runs order by 1")
    ]


def partition_of(window_end: datetime) -> str:
    return (window_end - timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")


def rows_per_partition(resource: OrgjourneyResource, table: str, column: str) -> dict[str, int]:
    """The rows of each processed window's partition, from the warehouse: 0 where none."""
    counts = dict(query(resource, f"select {column}, count(*) from {table} group by 1"))
    return {
        partition_of(end): counts.get(end, 0)
        for (end,) in query(resource, "select window_end from runs")
    }


def schema_of(metadata: dict[str, object]) -> list[tuple[str, str]]:
    """(name, type) of each column of a materialization's `dagster/column_schema`."""
    return [(column.name, column.type) for column in metadata["dagster/column_schema"].columns]


def columns_of(resource: OrgjourneyResource, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of a table, as DuckDB describes it."""
    return query(resource, f"select column_name, column_type from (describe {table})")


def sends(resource: OrgjourneyResource) -> list[tuple]:
    return query(
        resource,
        "select hour(run_at), journey_id, step_id, org_id, contact_id, channel, address, template"
        " from sends order by all",
    )


def test_definitions_snapshot():
    """The whole asset graph, its checks, jobs, schedules and sensors: changed only on purpose."""
    definitions = build_definitions(first_window=FIRST_WINDOW)
    graph = definitions.resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    jobs = {
        name: definitions.resolve_job_def(name)
        for name in ("hourly_window_job", "inbox_ingest_job")
    }
    assert {
        "assets": {
            name: sorted(k.to_user_string() for k in n.parent_keys) for name, n in nodes.items()
        },
        "checks": sorted(key.to_user_string() for key in graph.asset_check_keys),
        "partitioned": sorted(name for name, node in nodes.items() if node.is_partitioned),
        "kinds": {name: sorted(node.kinds) for name, node in nodes.items()},
        "pools": sorted({pool for node in nodes.values() for pool in node.pools}),
        "jobs": {
            name: sorted(key.to_user_string() for key in job.asset_layer.executable_asset_keys)
            for name, job in jobs.items()
        },
        "schedules": sorted(schedule.name for schedule in definitions.schedules),
        "sensors": {sensor.name: sensor.default_status.value for sensor in definitions.sensors},
        "resources": sorted(definitions.resources),
    } == SNAPSHOT
    assert nodes["sends"].backfill_policy == dg.BackfillPolicy.single_run()
    tables = [*INPUT_TABLES, *WINDOW_TABLES]
    descriptions = contract.descriptions()
    assert {name: nodes[name].description for name in tables} == {
        name: descriptions[name] for name in tables
    }
    assert all(nodes[name].description for name in ("exports/sends", "exports/org_updates"))


def test_the_descriptions_are_the_comments_the_warehouse_carries(resource):
    """Read from sql/comments/ without a warehouse, they equal what the warehouse applies."""
    with resource.connect() as con:
        comments = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where comment is not null"
                " union all select view_name, comment from duckdb_views() where comment is not null"
            ).fetchall()
        )
    assert contract.descriptions() == comments


INPUT_TABLES = ["activities", "contacts", "memberships", "organizations", "subscriptions"]
SNAPSHOT = {
    "assets": {
        "activities": [],
        "contacts": [],
        "memberships": [],
        "organizations": [],
        "subscriptions": [],
        "journeys": [],
        "org_activity": ["activities", "memberships"],
        "unsubscribes": ["activities", "subscriptions"],
        "conversions": ["activities", "journeys"],
        "enrollments": [
            "contacts",
            "conversions",
            "journeys",
            "memberships",
            "org_activity",
            "organizations",
        ],
        "enrollment_steps": ["enrollments"],
        "sends": ["contacts", "enrollment_steps", "subscriptions", "unsubscribes"],
        "suppressions": ["contacts", "enrollment_steps", "subscriptions", "unsubscribes"],
        "org_updates": ["enrollment_steps"],
        "runs": ["conversions", "org_activity", "org_updates", "sends", "suppressions"],
        "exports/sends": ["runs", "sends"],
        "exports/org_updates": ["org_updates", "runs"],
    },
    "checks": [
        "activities:activities_occurred_at_in_range",
        "activities:activities_required_values",
        "activities:activities_unique_event_id",
        "contacts:contacts_email_well_formed",
        "contacts:contacts_phone_well_formed",
        "contacts:contacts_unique_id",
        "conversions:conversions_after_entry",
        "conversions:conversions_one_per_enrollment",
        "enrollments:enrollments_respect_frequency",
        "journeys:journey_files_valid",
        "memberships:memberships_known_contact",
        "memberships:memberships_known_organization",
        "memberships:memberships_required_values",
        "organizations:organizations_created_at_in_range",
        "organizations:organizations_unique_id",
        "organizations:snapshots_snapshot_at_in_range",
        "runs:runs_one_per_window",
        "sends:sends_not_unsubscribed",
        "sends:sends_to_members",
        "sends:sends_unique_send_id",
        "subscriptions:subscriptions_valid",
    ],
    "partitioned": sorted([*WINDOW_TABLES, "exports/org_updates", "exports/sends"]),
    "kinds": {
        **{table: ["duckdb"] for table in [*INPUT_TABLES, *WINDOW_TABLES]},
        "exports/sends": ["csv", "parquet"],
        "exports/org_updates": ["csv", "parquet"],
    },
    "pools": ["orgjourney_warehouse"],
    "jobs": {
        "hourly_window_job": sorted(
            [*INPUT_TABLES, *WINDOW_TABLES, "exports/org_updates", "exports/sends"]
        ),
        "inbox_ingest_job": INPUT_TABLES,
    },
    "schedules": ["hourly_window_schedule"],
    "sensors": {"inbox_sensor": "STOPPED", "runs_ledger_sensor": "RUNNING"},
    "resources": ["orgjourney"],
}


def test_partitions_start_at_orgjourney_start_else_2026_10_01(monkeypatch):
    monkeypatch.delenv("ORGJOURNEY_START", raising=False)
    assert window_partitions().get_first_partition_key() == "2026-10-01-00:00"

    monkeypatch.setenv("ORGJOURNEY_START", "2026-03-02T05:30Z")
    graph = defs().resolve_asset_graph()
    partitions = graph.get(dg.AssetKey("sends")).partitions_def
    assert partitions.get_first_partition_key() == "2026-03-02-05:00"
    assert partitions.timezone == "UTC"

    monkeypatch.setenv("ORGJOURNEY_START", "soon")
    with pytest.raises(ValueError, match="ORGJOURNEY_START"):
        window_partitions()


def test_window_partition_processes_its_hour_and_records_each_table(resource, tmp_path):
    result = materialize(resource, partition_key=PARTITION)

    assert result.success
    assert windows(resource) == [(9, 10)]
    assert sends(resource) == [
        (10, "welcome", "hello", "o2", "c3", "email", "cy@globex.test", "hello")
    ]
    for table in WINDOW_TABLES:
        [(partition, metadata)] = materialized(result, table).items()
        assert partition == PARTITION
        assert metadata["processed_by"] == "this run"
        assert schema_of(metadata) == columns_of(resource, table), table
    for table, column in contract.WINDOW_COLUMNS.items():
        rows = materialized(result, table)[PARTITION]["dagster/row_count"]
        assert {PARTITION: rows} == rows_per_partition(resource, table, column), table
    for table in ("journeys", "org_activity"):
        rows = materialized(result, table)[PARTITION]["dagster/row_count"]
        assert [(rows,)] == query(resource, f"select count(*) from {table}")
    exported = materialized(result, "exports/sends")[PARTITION]
    assert (
        exported["dagster/row_count"] == rows_per_partition(resource, "sends", "run_at")[PARTITION]
    )
    folder = tmp_path / "exports" / exported["files"] / "journey=welcome" / "step=hello"
    assert (folder / "channel=email" / "sends.csv").exists()


def test_ingest_records_each_input_table_with_its_rows_and_columns(resource):
    result = materialize(resource, partition_key=PARTITION)

    for table in INPUT_TABLES:
        metadata = ingest_metadata(result, table)
        assert [(metadata["dagster/row_count"],)] == query(
            resource, f"select count(*) from {table}"
        )
        assert schema_of(metadata) == columns_of(resource, table), table
    activities = ingest_metadata(result, "activities")
    assert (activities["files_loaded"], activities["rows_loaded"]) == (1, 4)
    assert ingest_metadata(result, "subscriptions")["files_loaded"] == 0


def test_partition_materialized_again_sends_nothing_twice(resource):
    first = materialize(resource, partition_key=PARTITION)
    sent_before = sends(resource)

    again = materialize(resource, partition_key=PARTITION)

    assert again.success
    assert windows(resource) == [(9, 10)]
    assert sends(resource) == sent_before
    assert ingest_metadata(again, "activities")["files_already_loaded"] == 1
    recorded = materialized(again)[PARTITION]
    assert recorded["dagster/row_count"] == materialized(first)[PARTITION]["dagster/row_count"]
    assert recorded["processed_by"].startswith("the runs ledger")


def test_backfill_of_three_hours_runs_three_consecutive_windows_in_one_run(resource):
    result = materialize(resource, tags=backfill_tags("2026-01-05-08:00", "2026-01-05-10:00"))

    assert result.success
    assert windows(resource) == [(8, 9), (9, 10), (10, 11)]
    assert [row[:5] for row in sends(resource)] == [
        (10, "welcome", "hello", "o2", "c3"),
        (11, "welcome", "hello", "o1", "c1"),
        (11, "welcome", "hello", "o1", "c2"),
    ]
    for table, column in contract.WINDOW_COLUMNS.items():
        recorded = {
            partition: metadata["dagster/row_count"]
            for partition, metadata in materialized(result, table).items()
        }
        assert recorded == rows_per_partition(resource, table, column), table


def test_a_later_partition_first_processes_the_windows_before_it_in_order(resource):
    materialize(resource, partition_key="2026-01-05-08:00")

    result = materialize(resource, partition_key="2026-01-05-10:00")

    assert result.success
    assert windows(resource) == [(8, 9), (9, 10), (10, 11)]
    recorded = materialized(result)
    assert sorted(recorded) == ["2026-01-05-09:00", "2026-01-05-10:00"]
    assert {metadata["processed_by"] for metadata in recorded.values()} == {"this run"}


def test_a_partition_before_the_first_processed_window_fails_and_stays_missing(resource):
    materialize(resource, partition_key=PARTITION)

    earlier = materialize(resource, partition_key="2026-01-05-07:00", raise_on_error=False)

    assert not earlier.success
    [failure] = [event for event in earlier.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "nothing processed" in message and "history" in message
    assert windows(resource) == [(9, 10)]
    assert {event.partition for event in earlier.get_asset_materialization_events()} == {None}


def test_a_backfill_from_before_the_first_window_records_only_processed_windows(resource):
    materialize(resource, partition_key=PARTITION)

    result = materialize(resource, tags=backfill_tags("2026-01-05-07:00", "2026-01-05-10:00"))

    assert result.success
    assert windows(resource) == [(9, 10), (10, 11)]
    assert sorted(materialized(result, "runs")) == ["2026-01-05-09:00", "2026-01-05-10:00"]


def test_the_checks_of_a_run_look_only_at_its_windows_and_sit_on_their_tables(resource):
    materialize(resource, partition_key=PARTITION)
    with resource.connect() as con:  # an earlier window breaks a rule, as a bug would
        con.execute("insert into sends select * from sends")

    result = materialize(resource, partition_key="2026-01-05-10:00")

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["sends_unique_send_id"].passed
    assert evaluations["sends_unique_send_id"].asset_key == dg.AssetKey("sends")
    assert evaluations["runs_one_per_window"].asset_key == dg.AssetKey("runs")
    assert evaluations["journey_files_valid"].asset_key == dg.AssetKey("journeys")
    checked = evaluations["sends_unique_send_id"].metadata["checked_rows"].value
    assert [(checked,)] == query(resource, "select count(*) from sends where hour(run_at) = 11")
    with resource.connect(read_only=True) as con:  # the whole history still shows it
        [whole] = checks.run_checks(con, ("outputs",))[1:2]
    assert (whole.name, whole.passed) == ("sends_unique_send_id", False)


def test_a_materialization_emits_no_beta_or_preview_warning(resource):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assets = build_assets(window_partitions(FIRST_WINDOW))
        result = dg.materialize(assets, resources={"orgjourney": resource}, partition_key=PARTITION)
    assert result.success
    noisy = [w for w in caught if issubclass(w.category, dg.BetaWarning | dg.PreviewWarning)]
    assert [str(w.message) for w in noisy] == []


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
    assert dg.AssetKey("runs") in job.asset_layer.executable_asset_keys


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
