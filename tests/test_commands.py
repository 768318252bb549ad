"""The commands people expect (SPEC section 5): `--version`, `run --through now`, `export`
by extension and to standard output, an unknown `--journey` refused, `status` and `fields`
(as text and as JSON documents that their JSON Schemas in docs/schemas/ describe).

Two organizations: o1 (plan `pro`, tag VIP, two contacts) and o2 (no plan); one journey
`welcome` mails the members of an organization one of whose contacts submitted a form.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from referencing import Registry, Resource

from orgjourney_pipeline import warehouse

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
DAY = "2026-01-05"

WELCOME = """\
id: welcome
name: Welcome
version: 1
state: published
entry: {when: activity, activity: form_submitted}
steps:
  - id: mail
    send_email: {template: hello}
"""


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


@pytest.fixture
def ran(scenario):
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "plan": "pro", "tags": ["VIP"]},
        {"org_id": "o2", "name": "Beta", "plan": ""},
    )
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@acme.test"},
        {"contact_id": "c3", "email": ""},
    )
    scenario.members(("c1", "o1"), ("c2", "o1"), ("c3", "o2"))
    scenario.journey(WELCOME)
    scenario.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("v1", "c3", "page_viewed", at("09:40")),
        ("v2", "c3", "page_viewed", at("10:20")),
    )
    scenario.run(at("10:00"), at("09:00"))
    return scenario


def _registry() -> Registry:
    """Every schema of docs/schemas/ by its $id, so a `$ref` resolves without the network."""
    schemas = [json.loads(path.read_text()) for path in SCHEMAS.glob("*.schema.json")]
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )


def document(result, schema: str) -> dict:
    """The command's JSON output, checked against its schema."""
    found = json.loads(result.stdout)
    validator = jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / schema).read_text()), registry=_registry()
    )
    validator.validate(found)
    return found


# -- version, now ----------------------------------------------------------------------------


def test_version_prints_the_installed_package_version(orgjourney):
    assert orgjourney("--version").output.strip() == f"orgjourney {version('orgjourney')}"


def test_run_through_now_processes_the_windows_ending_by_the_current_hour(scenario):
    now = warehouse.utc_now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    start = hour - timedelta(hours=3)
    scenario.orgs({"org_id": "o1"})
    scenario.contacts({"contact_id": "c1", "email": "ann@acme.test"})
    scenario.members(("c1", "o1"))
    scenario.journey(WELCOME)
    scenario.events(("f1", "c1", "form_submitted", (start + timedelta(minutes=5)).isoformat()))
    scenario.run("now", start.isoformat())
    assert [end for (end,) in scenario.rows("select window_end from runs order by 1")] == [
        start + timedelta(hours=n) for n in (1, 2, 3)
    ]
    assert scenario.rows("select contact_id from sends") == [("c1",)]


# -- export ----------------------------------------------------------------------------------


def test_export_takes_its_format_from_the_extension(ran, orgjourney, tmp_path):
    orgjourney("export", "sends", "--out", str(tmp_path / "s.parquet"))
    orgjourney("export", "sends", "--out", str(tmp_path / "s.CSV"))
    parquet = pq.read_table(tmp_path / "s.parquet").to_pylist()
    with open(tmp_path / "s.CSV", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["contact_id"] for r in parquet) == ["c1", "c2"]
    assert sorted(r["contact_id"] for r in rows) == ["c1", "c2"]


def test_export_refuses_an_extension_it_cannot_tell(ran, orgjourney, tmp_path):
    result = orgjourney("export", "sends", "--out", str(tmp_path / "s.txt"), expect_exit=2)
    assert "give --format csv|parquet" in result.output
    assert not (tmp_path / "s.txt").exists()
    orgjourney("export", "sends", "--out", str(tmp_path / "s.txt"), "--format", "csv")
    assert (tmp_path / "s.txt").read_text().startswith("send_id,")


def test_export_to_standard_output_is_the_file_csv_and_says_so_on_stderr(ran, orgjourney, tmp_path):
    orgjourney("export", "sends", "--out", str(tmp_path / "s.csv"))
    result = orgjourney("export", "sends", "--out", "-")
    assert result.stdout == (tmp_path / "s.csv").read_text()
    assert "2 sends row(s) written to standard output" in result.stderr
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 2


def test_export_to_standard_output_is_csv_only(ran, orgjourney):
    result = orgjourney("export", "sends", "--out", "-", "--format", "parquet", expect_exit=2)
    assert "--out - writes CSV" in result.output


def test_export_of_an_unknown_journey_is_an_error(ran, orgjourney, tmp_path):
    out = tmp_path / "s.csv"
    result = orgjourney("export", "sends", "--journey", "nope", "--out", str(out), expect_exit=1)
    assert "no journey 'nope' in the warehouse" in result.output
    assert not out.exists()
    orgjourney("export", "sends", "--journey", "welcome", "--out", str(out))
    assert out.exists()


# -- status ----------------------------------------------------------------------------------


def test_status_says_how_fresh_the_warehouse_is(ran, orgjourney):
    found = document(orgjourney("status", "--json"), "status.schema.json")
    assert found["last_window_end"] == f"{DAY}T10:00:00Z"
    assert found["windows"] == 1
    assert found["newest_activity_at"] == f"{DAY}T10:20:00Z"
    assert found["hours_behind_activity"] == pytest.approx(1 / 3, abs=0.01)
    assert found["activities"] == 3
    assert found["last_ingest_rows_rejected"] == 0
    assert found["active_enrollments"] == 0
    assert [(j["journey_id"], j["state"], j["problems"]) for j in found["journeys"]] == [
        ("welcome", "published", [])
    ]
    text = orgjourney("status").output
    assert f"last processed window: {DAY}T10:00Z (1 in all)" in text
    assert "0.33 h past the last processed window (not processed yet)" in text


def test_status_names_a_stopped_journey_and_why_and_exits_0(ran, orgjourney):
    path = ran.paths["journeys"] / "welcome.yaml"
    path.write_text(WELCOME.replace("activity: form_submitted", "activity: [x"))
    ran.run(at("11:00"), expect_exit=1)
    found = document(orgjourney("status", "--json"), "status.schema.json")
    [journey] = found["journeys"]
    assert journey["state"] == "stopped"
    assert len(journey["problems"]) == 1 and "welcome.yaml:" in journey["problems"][0]
    text = orgjourney("status").output.replace("\n", "")
    assert "stopped: welcome: " in text and "welcome.yaml:" in text
    path.unlink()
    found = document(orgjourney("status", "--json"), "status.schema.json")
    assert found["journeys"][0]["problems"] == [
        f"no journey file with id 'welcome' in {ran.paths['journeys']}"
    ]


def test_status_and_fields_need_a_warehouse(orgjourney):
    for command in ("status", "fields"):
        assert "no warehouse at" in orgjourney(command, expect_exit=1).output


# -- fields ----------------------------------------------------------------------------------


def test_fields_counts_the_values_journeys_can_filter_on(ran, orgjourney):
    found = document(orgjourney("fields", "--json"), "fields.schema.json")
    fields = {(f["subject"], f["name"]): f for f in found["fields"]}
    assert found["rows"] == {"organizations": 2, "contacts": 3}
    # an empty text is no value, as `is_set` has it
    assert fields[("organizations", "plan")] == {
        "subject": "organizations",
        "name": "plan",
        "type": "text",
        "built_in": False,
        "rows_with_value": 1,
    }
    assert fields[("organizations", "tags")]["rows_with_value"] == 1
    assert fields[("contacts", "email")]["rows_with_value"] == 2
    assert fields[("contacts", "email")]["built_in"] is True
    assert found["tags"] == [{"subject": "organizations", "tag": "vip", "rows": 1}]
    assert found["activity_types"] == [
        {"activity_type": "page_viewed", "events": 2, "last_at": f"{DAY}T10:20:00Z"},
        {"activity_type": "form_submitted", "events": 1, "last_at": f"{DAY}T09:30:00Z"},
    ]
    text = orgjourney("fields").output
    assert "plan" in text and "1 of 2" in text and "page_viewed" in text


# -- messages ----------------------------------------------------------------------------------


def test_preview_of_a_mistyped_journey_suggests_the_near_one(ran, orgjourney):
    result = orgjourney("preview", "welcom", expect_exit=1)
    assert "journey 'welcom': no journey file has that id (did you mean 'welcome'?)" in (
        result.output
    )


def test_validate_before_any_warehouse_says_fields_were_not_checked_against_data(
    scenario, orgjourney, cli_paths
):
    """SPEC section 5: with no warehouse yet, only the grammar and the built-ins are checked,
    and `validate` says so; once data is loaded the note is gone."""
    scenario.journey(WELCOME)
    note = (
        f"note: no warehouse at {cli_paths['warehouse']}: fields were checked against the "
        "built-in ones only, not against loaded data"
    )
    before = orgjourney("validate")
    assert note in before.output.splitlines()
    assert "1 journey file(s) valid" in before.output
    assert not cli_paths["warehouse"].exists()
    assert (
        document(orgjourney("validate", "--json"), "validate.schema.json")["fields_checked"]
        is False
    )

    scenario.orgs({"org_id": "o1"})
    orgjourney("ingest")
    after = orgjourney("validate")
    assert "note: no warehouse" not in after.output
    assert "1 journey file(s) valid" in after.output


def test_a_message_with_a_long_path_stays_on_one_line(ran, orgjourney, tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6) / "report.html"
    result = orgjourney("report", "--html", str(deep))
    assert f"report written to {deep}" in result.output.splitlines()


# -- validate and preview as JSON --------------------------------------------------------------


def test_validate_json_lists_each_problem_and_exits_1(ran, orgjourney):
    (ran.paths["journeys"] / "broken.yaml").write_text(
        "id: broken\nversion: 1\nstate: publishd\nentry: {when: tags, tags: [a]}\n"
    )
    found = document(orgjourney("validate", "--json", expect_exit=1), "validate.schema.json")
    assert found["valid"] is False and found["files"] == 2 and found["fields_checked"] is True
    assert found["journeys"] == ["welcome"]  # the journeys whose files read without error
    [problem] = found["problems"]
    assert problem["file"].endswith("broken.yaml") and problem["line"] == 3
    assert problem["journey_id"] == "broken" and problem["severity"] == "error"
    assert "did you mean 'published'?" in problem["message"]


def test_validate_json_of_valid_files_exits_0(ran, orgjourney):
    found = document(orgjourney("validate", "--json"), "validate.schema.json")
    assert found == {
        "valid": True,
        "files": 1,
        "journeys": ["welcome"],
        "fields_checked": True,
        "problems": [],
    }


def test_preview_json_names_who_would_enter_and_get_the_first_send(ran, orgjourney):
    ran.events(("f2", "c3", "form_submitted", at("10:30")))
    orgjourney("ingest")
    result = orgjourney("preview", "welcome", "--at", at("11:00"), "--json")
    found = document(result, "preview.schema.json")
    assert found["journey_id"] == "welcome" and found["at"] == f"{DAY}T11:00:00Z"
    assert found["data"] == {
        "last_window_end": f"{DAY}T10:00:00Z",
        "newest_activity_at": f"{DAY}T10:30:00Z",
        "warnings": [],
    }
    assert found["totals"] == {
        "entering": 1,
        "recipients": 1,
        "sends": 0,
        "suppressed": {"no_email": 1},
    }
    assert found["entering"] == [{"org_id": "o2", "name": "Beta"}]
    assert found["first_send_step"] == "mail" and found["first_send_due"] is True
    assert found["recipients"] == [
        {
            "org_id": "o2",
            "contact_id": "c3",
            "channel": "email",
            "address": None,
            "suppressed": "no_email",
        }
    ]


# -- run: --json, a stopped journey, past the data ---------------------------------------------


def test_run_json_lists_the_windows_and_what_each_journey_did(ran, orgjourney):
    ran.events(("f2", "c3", "form_submitted", at("10:30")))
    orgjourney("ingest")
    found = document(orgjourney("run", "--through", at("12:00"), "--json"), "run.schema.json")
    assert found["through"] == f"{DAY}T12:00:00Z" and found["dry_run"] is False
    assert found["data"] == {
        "last_window_end": f"{DAY}T10:00:00Z",
        "newest_activity_at": f"{DAY}T10:30:00Z",
        "warnings": [],
    }
    assert [(w["window_start"], w["window_end"]) for w in found["windows"]] == [
        (f"{DAY}T10:00:00Z", f"{DAY}T11:00:00Z"),
        (f"{DAY}T11:00:00Z", f"{DAY}T12:00:00Z"),
    ]
    # o2 enters at 11:00; its only contact has no email
    assert found["journeys"] == [
        {
            "journey_id": "welcome",
            "entered": 1,
            "sent": 0,
            "suppressed": 1,
            "completed": 1,
            "exited": 0,
        }
    ]
    assert found["stopped"] == [] and found["problems"] == [] and found["notes"] == []


def test_run_that_stopped_a_journey_runs_the_others_then_exits_1_naming_it(ran, orgjourney):
    ran.journey(WELCOME.replace("id: welcome", "id: other").replace("hello", "other"))
    (ran.paths["journeys"] / "welcome.yaml").write_text(
        WELCOME.replace("send_email:", "send_emial:")
    )
    ran.events(("f2", "c3", "form_submitted", at("10:30")))
    result = ran.run(at("11:00"), expect_exit=1)
    assert "error: stopped 1 journey(s) for invalid files: welcome" in result.stderr
    assert "note: journey stopped: " in result.stdout and "welcome.yaml:" in result.stdout
    assert ran.rows(
        "select journey_id, org_id from enrollments where entered_at = ?", at("11:00")
    ) == [("other", "o2")]
    found = document(
        orgjourney("run", "--through", at("12:00"), "--json", expect_exit=1), "run.schema.json"
    )
    assert found["stopped"] == ["welcome"]
    [problem] = found["problems"]
    assert "welcome.yaml:" in problem and "send_emial" in problem
    assert [w["window_end"] for w in found["windows"]] == [f"{DAY}T12:00:00Z"]


def test_run_warns_when_it_works_more_than_a_day_past_the_newest_activity(ran, orgjourney):
    result = orgjourney("run", "--through", "2026-01-06T11:00Z")
    assert result.stdout.splitlines()[0] == (
        f"data: last processed window {DAY}T10:00Z; newest loaded activity {DAY}T10:20Z"
    )
    assert [line for line in result.stderr.splitlines() if line] == [
        f"warning: 2026-01-06T11:00Z is 1.0 days past the last processed window ({DAY}T10:00Z):"
        " the windows between are not processed yet",
        f"warning: 2026-01-06T11:00Z is 1.0 days past the newest loaded activity ({DAY}T10:20Z):"
        " no activity that recent is loaded (ingest newer files?)",
    ]
    # within a day of both: no warning
    assert orgjourney("run", "--through", "2026-01-07T10:00Z").stderr.count("warning:") == 1


# -- preview: totals, --limit, whole addresses, past the data ----------------------------------

PRO = """\
id: pro
version: 1
state: draft
entry: {when: filter, filter: {field: plan, op: eq, value: pro}}
steps:
  - id: mail
    send_email: {template: pro}
"""


def test_preview_prints_totals_and_limits_rows_but_never_cuts_an_address(ran, orgjourney):
    long_address = "a-very-long-mailbox-name-" * 8 + "@acme.test"
    ran.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@acme.test"},
        {"contact_id": "c3", "email": ""},
        {"contact_id": "c4", "email": long_address},
        at="2026-01-05T10:10Z",
    )
    ran.members(("c1", "o1"), ("c2", "o1"), ("c3", "o2"), ("c4", "o1"), at="2026-01-05T10:10Z")
    ran.subscriptions(("c2", "*", "unsubscribed"), at="2026-01-05T10:10Z")
    ran.journey(PRO)
    orgjourney("ingest")
    text = orgjourney("preview", "pro", "--at", at("11:00")).stdout
    assert f"data: last processed window {DAY}T10:00Z; newest loaded activity {DAY}T10:20Z" in text
    assert "journey pro as of 2026-01-05T11:00Z: 1 organization(s) would enter" in text
    assert long_address in text  # one line, not cut
    assert (
        "first send 'mail': 3 recipient(s), 2 would be sent, 1 suppressed (1 unsubscribed_global)"
        in text
    )
    limited = orgjourney("preview", "pro", "--at", at("11:00"), "--limit", "1").stdout
    recipients = limited[limited.index("first send: mail") :]
    assert sum(f" c{n} " in recipients for n in (1, 2, 4)) == 1
    assert "… and 2 more (--limit 0 shows all)" in recipients
    assert "3 recipient(s), 2 would be sent" in recipients  # totals count every row
    found = document(
        orgjourney("preview", "pro", "--at", at("11:00"), "--json", "--limit", "1"),
        "preview.schema.json",
    )
    assert len(found["recipients"]) == 3  # a document holds every row


def test_preview_warns_when_the_instant_is_more_than_a_day_past_the_data(ran, orgjourney):
    result = orgjourney("preview", "welcome", "--at", "2026-01-06T10:15Z")
    assert [line for line in result.stderr.splitlines() if line] == [
        f"warning: 2026-01-06T10:15Z is 1.0 days past the last processed window ({DAY}T10:00Z):"
        " the windows between are not processed yet",
    ]
    found = document(
        orgjourney("preview", "welcome", "--at", "2026-01-06T10:15Z", "--json"),
        "preview.schema.json",
    )
    assert len(found["data"]["warnings"]) == 1
