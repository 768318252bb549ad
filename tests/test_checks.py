"""Data-quality checks (Great Expectations): what each one catches, the CLI report, journey faults.

A clean run passes every check: the checks agree with the engine on who was unsubscribed and
who was a member. Each rule is then broken on purpose — through ingest when the input can
say it, else by writing a bad row straight into the warehouse, as a bug would — and exactly
the check for that rule must fail, with an example naming the row.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from orgjourney_pipeline import checks, warehouse
from orgjourney_pipeline.settings import sql_dir

DAY = "2026-01-05"
NOW = datetime(2026, 1, 6)


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


JOURNEY = """\
id: renew
name: Renewal
version: 1
state: published
frequency: once_at_a_time
entry: {when: activity, activity: purchase}
unsubscribe: {audience: newsletter}
attribution: {activity: renewal_paid, within_days: 30}
steps:
  - id: mail
    send_email: {template: hello}
  - id: pause
    delay: {hours: 1}
  - id: again
    send_email: {template: again}
  - id: rest
    delay: {days: 7}
"""


def write_crm(scenario):
    """Two organizations; contacts unsubscribed globally, from the audience, or not at all."""
    scenario.orgs({"org_id": "o1", "name": "Acme"}, {"org_id": "o2", "name": "Beta"})
    scenario.contacts(
        {"contact_id": "ok", "email": "ok@acme.test", "phone": "+1 555 0100"},
        {"contact_id": "global", "email": "g@acme.test"},
        {"contact_id": "news", "email": "n@acme.test"},
        {"contact_id": "late", "email": "l@acme.test"},
        {"contact_id": "beta", "email": "b@beta.test"},
    )
    scenario.members(("ok", "o1"), ("global", "o1"), ("news", "o1"), ("late", "o1"), ("beta", "o2"))
    scenario.subscriptions(
        ("global", "*", "unsubscribed"),
        ("news", "newsletter", "unsubscribed"),
        ("ok", "newsletter", "subscribed"),
    )
    scenario.journey(JOURNEY)
    return scenario


@pytest.fixture
def crm(scenario):
    return write_crm(scenario)


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory) -> dict[str, Path]:
    """Both organizations entered; `late` unsubscribes between the two sends; o1 converts.

    Built once: each test gets a copy (`ran`), so tampering stays within the test.
    """
    from click.testing import CliRunner
    from conftest import Scenario

    from orgjourney_pipeline.cli import cli

    root = tmp_path_factory.mktemp("checks")
    paths = {
        "warehouse": root / "warehouse.duckdb",
        "journeys": root / "journeys",
        "inbox": root / "inbox",
        "exports": root / "exports",
    }
    paths["journeys"].mkdir()
    paths["inbox"].mkdir()

    def invoke(*args: str, expect_exit: int | None = 0):
        options = [item for key, path in paths.items() for item in (f"--{key}", str(path))]
        result = CliRunner().invoke(cli, [*options, *args], catch_exceptions=False)
        assert expect_exit is None or result.exit_code == expect_exit, result.output
        return result

    crm = write_crm(Scenario(paths, invoke))
    crm.events(
        ("e1", "ok", "purchase", at("09:10")),
        ("e2", "beta", "purchase", at("09:20")),
        ("u1", "late", "unsubscribed", at("10:10")),
        ("c1", "ok", "renewal_paid", at("10:30")),
    )
    crm.run(at("12:00"), at("09:00"))
    return paths


@pytest.fixture
def ran(ran_once, scenario):
    """A copy of `ran_once` in this test's paths."""
    for key, source in ran_once.items():
        if source.is_dir():
            shutil.copytree(source, scenario.paths[key], dirs_exist_ok=True)
        elif source.exists():
            shutil.copyfile(source, scenario.paths[key])
    scenario.files = 100  # new input files get names of their own
    return scenario


def results(scenario, *scopes: str, **options) -> dict[str, checks.CheckResult]:
    with warehouse.connect(scenario.paths["warehouse"], read_only=True) as con:
        found = checks.run_checks(
            con, scopes or (checks.INPUTS, checks.OUTPUTS), now=NOW, **options
        )
    return {result.name: result for result in found}


def not_passed(scenario, *scopes: str) -> dict[str, str]:
    return {
        name: result.status
        for name, result in results(scenario, *scopes).items()
        if result.status != "passed"
    }


def flat(output: str) -> str:
    """CLI output without the line breaks rich puts into long paths."""
    return output.replace("\n", "")


def tamper(scenario, *statements: str) -> None:
    """Write into the warehouse as a bug would."""
    with warehouse.connect(scenario.paths["warehouse"]) as con:
        for statement in statements:
            con.execute(statement)


def test_a_clean_run_passes_every_check(ran):
    assert ran.rows("select count(*) from sends")[0][0] > 0
    assert ran.rows("select count(*) from conversions")[0][0] == 1
    found = results(ran)
    assert [name for name in found] == checks.check_names("inputs") + checks.check_names("outputs")
    assert {result.status for result in found.values()} == {"passed"}
    assert (
        found["sends_unique_send_id"].checked_rows == ran.rows("select count(*) from sends")[0][0]
    )


def test_each_check_has_its_query_file_and_each_query_file_a_check():
    files = {path.stem for path in (sql_dir() / "checks").glob("*.sql")}
    assert files == {check.name for check in checks.CHECKS}
    assert len(checks.CHECKS) == len(files)


def test_the_checks_agree_with_the_suppressions_the_engine_made(ran):
    """The unsubscribed contacts were suppressed, and the check finds no send to them."""
    reasons = ran.rows("select distinct contact_id, reason from suppressions order by all")
    assert ("global", "unsubscribed_global") in reasons
    assert ("news", "unsubscribed_audience") in reasons
    assert ("late", "unsubscribed_global") in reasons  # its 11:00 send, after it unsubscribed
    assert ran.rows("select run_at from sends where contact_id = 'late'") == [
        (datetime(2026, 1, 5, 10),)
    ]
    assert results(ran, "outputs")["sends_not_unsubscribed"].passed


def test_an_unsubscribe_that_arrives_after_the_send_does_not_fail_the_check(ran):
    """Judged as the run knew it: a late unsubscribe could not have stopped the send."""
    ran.events(("u2", "ok", "unsubscribed", at("09:30")))
    ran.run(at("13:00"))
    assert ran.rows("select run_at from unsubscribes where event_id = 'u2'") == [
        (datetime(2026, 1, 5, 13),)
    ]
    assert results(ran, "outputs")["sends_not_unsubscribed"].passed


def test_a_memberships_snapshot_loaded_after_the_send_does_not_fail_the_check(ran):
    """Judged as the run knew it: a late file saying `ok` had left o1 before its sends."""
    sent = ran.rows("select count(*) from sends where contact_id = 'ok' and org_id = 'o1'")
    assert sent[0][0] > 0
    ran.members(("global", "o1"), ("news", "o1"), ("late", "o1"), ("beta", "o2"), at=at("09:05"))
    ran.run(at("13:00"))
    left = "select valid_to from membership_versions where contact_id = 'ok' and org_id = 'o1'"
    assert ran.rows(left) == [(datetime(2026, 1, 5, 9, 5),)]
    assert results(ran, "outputs")["sends_to_members"].passed


def test_a_subscriptions_snapshot_loaded_after_the_send_does_not_fail_the_check(ran):
    """Judged as the run knew it: a late file saying `ok` had left the newsletter before its
    sends (a run's subscriptions are those it had loaded, as its memberships)."""
    sent = ran.rows(
        "select count(*) from sends where contact_id = 'ok' and run_at > ?", at("09:05")
    )
    assert sent[0][0] > 0
    ran.subscriptions(
        ("global", "*", "unsubscribed"),
        ("news", "newsletter", "unsubscribed"),
        ("ok", "newsletter", "unsubscribed"),
        at=at("09:05"),
    )
    ran.run(at("13:00"))
    now_out = (
        "select status from subscription_versions where contact_id = 'ok' and valid_to is null"
    )
    assert ran.rows(now_out) == [("unsubscribed",)]
    assert results(ran, "outputs")["sends_not_unsubscribed"].passed


FIRST_SEND = "(select * from sends order by send_id limit 1)"

# case -> statements that break one rule, the checks that must fail, an example substring
BROKEN_OUTPUTS = {
    "send to a globally unsubscribed contact": (
        [
            "insert into sends by name select * exclude (reason) from suppressions"
            " where reason = 'unsubscribed_global' and contact_id = 'global'"
        ],
        {"sends_not_unsubscribed"},
        "contact_id=global",
    ),
    "send to a contact unsubscribed from the journey's audience": (
        [
            "insert into sends by name select * exclude (reason) from suppressions"
            " where reason = 'unsubscribed_audience'"
        ],
        {"sends_not_unsubscribed"},
        "audience=newsletter",
    ),
    "a send made twice": (
        [f"insert into sends select * from {FIRST_SEND}"],
        {"sends_unique_send_id"},
        "send_id=",
    ),
    "a send to a contact of another organization": (
        [
            "insert into sends by name select * replace (md5(send_id) as send_id,"
            " 'beta' as contact_id) from sends where org_id = 'o1' order by send_id limit 1"
        ],
        {"sends_to_members"},
        "contact_id=beta",
    ),
    "two active enrollments in a once_at_a_time journey": (
        [
            "insert into active_enrollments by name select * replace (md5(enrollment_id)"
            " as enrollment_id, entered_at + interval 1 hour as entered_at)"
            " from active_enrollments where org_id = 'o2'"
        ],
        {"enrollments_respect_frequency"},
        "org_id=o2",
    ),
    "a conversion before its entry": (
        [
            "insert into conversions by name select enrollment_id, journey_id,"
            " journey_version, org_id, 'early' as event_id, 'beta' as contact_id,"
            " entered_at - interval 1 hour as converted_at, entered_at as run_at"
            " from active_enrollments where org_id = 'o2'"
        ],
        {"conversions_after_entry"},
        "org_id=o2",
    ),
    "a second conversion of one enrollment": (
        ["insert into conversions select * from conversions"],
        {"conversions_one_per_enrollment"},
        "enrollment_id=",
    ),
    "a window processed twice": (
        ["insert into runs select * from runs order by window_end limit 1"],
        {"runs_one_per_window"},
        "window_end=2026-01-05 10:00:00",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_OUTPUTS))
def test_a_broken_output_rule_fails_exactly_its_check(ran, case):
    statements, failing, example = BROKEN_OUTPUTS[case]
    tamper(ran, *statements)
    found = results(ran, "outputs")
    assert {name for name, r in found.items() if not r.passed} == failing
    [name] = failing
    assert found[name].status == "failed"
    assert found[name].failing_rows >= 1
    assert example in " | ".join(found[name].examples)


def test_output_checks_can_be_limited_to_a_range_of_windows(ran):
    tamper(ran, f"insert into sends select * from {FIRST_SEND}")
    [(run_at,)] = ran.rows(f"select run_at from {FIRST_SEND}")
    hour = timedelta(hours=1)
    assert results(ran, "outputs", until=run_at - hour)["sends_unique_send_id"].passed
    assert results(ran, "outputs", since=run_at)["sends_unique_send_id"].passed
    assert not results(ran, "outputs", since=run_at - hour)["sends_unique_send_id"].passed


# case -> statements that break one input rule, the checks that must fail, an example substring
BROKEN_INPUTS = {
    "an organization twice in the current state": (
        ["insert into organization_versions select * from organization_versions limit 1"],
        {"organizations_unique_id"},
        "org_id=o",
    ),
    "a contact twice in the current state": (
        [
            "insert into contact_versions select * from contact_versions"
            " where contact_id = 'ok' and valid_to is null"
        ],
        {"contacts_unique_id"},
        "contact_id=ok",
    ),
    "an event id twice": (
        ["insert into activities select * from activities where event_id = 'e1'"],
        {"activities_unique_event_id"},
        "event_id=e1, copies=2",
    ),
    "a blank activity type": (
        [
            "insert into activities select 'blank', contact_id, ' ', occurred_at, properties,"
            " load_seq, file, row_number from activities where event_id = 'e1'"
        ],
        {"activities_required_values"},
        "event_id=blank",
    ),
    "a subscription status that is not a status": (
        ["update subscription_versions set status = 'maybe' where contact_id = 'ok'"],
        {"subscriptions_valid"},
        "status=maybe",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_INPUTS))
def test_a_broken_input_rule_fails_exactly_its_check(ran, case):
    statements, failing, example = BROKEN_INPUTS[case]
    tamper(ran, *statements)
    found = results(ran, "inputs")
    assert {name for name, r in found.items() if not r.passed} == failing
    [name] = failing
    assert example in " | ".join(found[name].examples)


def test_inputs_that_ingest_loads_but_the_checks_flag(crm):
    """Loaded as SPEC says, then reported: far-future events, orphan memberships, bad addresses."""
    crm.contacts(
        {"contact_id": "ok", "email": "ok@acme.test", "phone": "+1 555 0100"},
        {"contact_id": "typo", "email": "typo.acme.test", "phone": "call me"},
        at="2026-01-02T00:00Z",
    )
    crm.members(("ok", "o1"), ("ok", "o9"), at="2026-01-02T00:00Z")
    crm.events(("far", "ok", "page_viewed", "9999-12-31T23:00Z"))
    crm.invoke("ingest")
    found = results(crm, "inputs")
    assert {name: r.status for name, r in found.items() if not r.passed} == {
        "activities_occurred_at_in_range": "failed",
        "memberships_known_organization": "failed",
        "contacts_email_well_formed": "warning",
        "contacts_phone_well_formed": "warning",
    }
    assert found["activities_occurred_at_in_range"].examples == [
        "hour=9999-12-31 23:00:00, events=1, example_event_id=far"
    ]
    assert found["memberships_known_organization"].examples == ["contact_id=ok, org_id=o9"]
    assert found["contacts_email_well_formed"].examples == ["contact_id=typo, email=typo.acme.test"]


def test_check_command_prints_a_report_and_exits_0_with_warnings_only(crm, orgjourney):
    crm.contacts({"contact_id": "ok", "email": "not an email"}, at="2026-01-02T00:00Z")
    crm.members(("ok", "o1"), at="2026-01-02T00:00Z")
    orgjourney("ingest")
    result = orgjourney("check", "--now", "2026-01-06T00:00Z")
    assert "contacts_email_well_formed" in result.output
    assert "warning: contacts_email_well_formed" in result.output
    assert "0 failed" in result.output


def test_check_command_exits_1_naming_the_failed_check_and_an_example(ran, orgjourney):
    tamper(ran, f"insert into sends select * from {FIRST_SEND}")
    result = orgjourney("check", "--outputs", expect_exit=1)
    assert "sends_unique_send_id" in result.output
    assert "failed" in result.output
    assert "journey_files_valid" not in result.output  # --outputs only
    assert "error: sends_unique_send_id" in result.output


def test_check_command_without_a_warehouse_says_so(orgjourney):
    result = orgjourney("check", expect_exit=1)
    assert "no warehouse at" in result.output


def test_commands_that_do_not_check_do_not_import_great_expectations():
    code = (
        "import sys; from orgjourney_pipeline import cli, checks, pipeline; "
        "print('great_expectations' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"


# -- journey faults ----------------------------------------------------------------------------

OTHER = JOURNEY.replace("id: renew", "id: other").replace("{audience: newsletter}", "global")


def test_an_invalid_journey_file_stops_only_that_journey_loudly(crm, orgjourney):
    crm.journey(OTHER)
    crm.journey(
        JOURNEY.replace("id: renew", "id: broken").replace("delay: {hours: 1}", "delay: soon"),
        name="broken",
    )
    crm.events(("e1", "ok", "purchase", at("09:10")))
    output = flat(crm.run(at("10:00"), at("09:00"), expect_exit=1).output)
    assert "journey stopped" in output and "broken.yaml:13" in output
    assert {journey for (journey,) in crm.rows("select distinct journey_id from sends")} == {
        "renew",
        "other",
    }
    report = orgjourney("check", "--inputs", "--now", "2026-01-06T00:00Z", expect_exit=1)
    assert "journey_files_valid" in report.output and "broken.yaml" in flat(report.output)
    found = results(crm, "inputs", journeys_dir=crm.paths["journeys"])
    assert found["journey_files_valid"].failing_rows == 1


def test_a_changed_published_version_stops_the_run_and_fails_the_check(ran, orgjourney):
    ran.journey(JOURNEY.replace("template: again", "template: changed"))
    before = ran.rows("select count(*) from runs")
    output = flat(ran.run(at("14:00"), expect_exit=1).output)
    assert "renew.yaml" in output and "bump `version`" in output
    assert ran.rows("select count(*) from runs") == before
    found = results(ran, "inputs", journeys_dir=ran.paths["journeys"])
    assert not found["journey_files_valid"].passed
    assert "version 1 was published" in found["journey_files_valid"].examples[0]


# -- Dagster asset checks ----------------------------------------------------------------------


@pytest.fixture
def dagster_resource(crm):
    """The scenario's inbox and journeys as the Dagster resource sees them."""
    from dagster_project.resources import OrgjourneyResource

    crm.events(("e1", "ok", "purchase", at("09:10")), ("e2", "beta", "purchase", at("09:20")))
    return OrgjourneyResource(**{key: str(path) for key, path in crm.paths.items()})


def hourly_job_checks(resource, partition: str) -> dict[str, tuple[bool, str]]:
    """Run the hourly job of the definitions; (passed, severity) per asset check evaluated."""
    from dagster_project.definitions import build_definitions

    definitions = build_definitions("2026-01-05T09:00Z", orgjourney=resource)
    job = definitions.resolve_job_def("hourly_window_job")
    outcome = job.execute_in_process(partition_key=partition, raise_on_error=False)
    assert outcome.success
    return {
        evaluation.check_name: (evaluation.passed, evaluation.severity.value)
        for evaluation in outcome.get_asset_check_evaluations()
    }


def test_the_hourly_job_runs_every_asset_check_and_a_bad_journey_file_fails_one(
    dagster_resource, crm
):
    """The window runs without the invalid journey; only `journey_files_valid` fails."""
    crm.journey("id: broken\nname: Broken\nversion: one\nstate: published\n", name="broken")
    evaluated = hourly_job_checks(dagster_resource, "2026-01-05-09:00")
    expected = [
        *checks.check_names("inputs"),
        *checks.check_names("outputs"),
        "journey_files_valid",
    ]
    assert sorted(evaluated) == sorted(expected)
    assert {name for name, (passed, _) in evaluated.items() if not passed} == {
        "journey_files_valid"
    }
    assert evaluated["journey_files_valid"] == (False, "ERROR")
    assert evaluated["contacts_email_well_formed"] == (True, "WARN")
    assert crm.rows("select count(*) from runs") == [(1,)]
    assert {j for (j,) in crm.rows("select distinct journey_id from sends")} == {"renew"}
