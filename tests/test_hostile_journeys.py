"""Hostile journeys, round 2: a journey `validate` accepts never fails a run, one that fails
stops only itself, and field names ignore case everywhere.

Each case of the corpus (`tests/hostile/journeys/`, and files generated here) proves a rule:
- a filter's width and depth are bounded, with a message about width or depth (not "not
  valid YAML"), so every accepted filter compiles;
- a value for a number or an instant must have the syntax the inputs accept (ASCII digits;
  RFC 3339 with offsets up to ±18:00 and years 1 to 9999 after the offset);
- a `where` property name is never empty (the engine cannot bind an empty JSON path);
- what still fails as SQL — at binding before a run, or on a window's data — stops that
  journey, named, and the others run; `run` then exits 1;
- `Plan`, `plan` and `PLAN` name one field: in filters, in `update_org`, in the overlay and
  in what is written back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

JOURNEYS = Path(__file__).parent / "hostile" / "journeys"

GOOD = """\
id: good
version: 1
state: published
frequency: every_time
entry: {when: activity, activity: purchase}
steps:
  - id: mail
    send_email: {template: hello}
"""

# journey file of the corpus -> (line, message) that `validate` must print for it; the
# warehouse knows `seats` as a number field.
VALUE_CORPUS = {
    "non-ascii-digits.yaml": (6, "value '١٢' is not a number (the type of 'seats')"),
    "year-one.yaml": (6, "value '0001-01-01T00:00:00+01:00' is not a timestamp"),
    "year-9999.yaml": (6, "value '9999-12-31T23:30:00-01:00' is not a timestamp"),
    "offset-19h.yaml": (6, "value '2026-01-01T00:00:00+19:00' is not a timestamp"),
    "empty-property.yaml": (7, "entry.where: a property name is empty"),
    "builtin-field-any-case.yaml": (
        7,
        "update_org.field: 'Name' is built in and cannot be updated",
    ),
}


def _filter_journey(journey_id: str, filter_text: str) -> str:
    return (
        f"id: {journey_id}\nversion: 1\nstate: published\n"
        f"entry:\n  when: filter\n  filter: {filter_text}\n"
        "steps:\n  - id: mail\n    send_email: {template: hello}\n"
    )


# generated journey file -> (text, line, message)
SHAPE_CORPUS = {
    "wide-any.yaml": (
        _filter_journey("wide", "{any: [" + ", ".join(f"{{tag: t{i}}}" for i in range(300)) + "]}"),
        6,
        "entry.filter.any: 300 filters, more than the 100 a combination may hold",
    ),
    "deep-not.yaml": (
        _filter_journey("deep", "{not: " * 300 + "{tag: x}" + "}" * 300),
        6,
        "lists and mappings nest more than 64 levels deep here",
    ),
    "nested-not.yaml": (
        _filter_journey("nested", "{not: " * 20 + "{tag: x}" + "}" * 20),
        6,
        "filters nest at most 16 levels deep",
    ),
    "nested-all-any.yaml": (
        _filter_journey("mixed", "{all: [{any: [" * 9 + "{tag: x}" + "]}]}" * 9),
        6,
        "filters nest at most 16 levels deep",
    ),
}


@pytest.fixture
def crm(scenario):
    """An organization with a number field `seats` and a contact, and a good journey."""
    scenario.journey(GOOD)
    scenario.orgs({"org_id": "o1", "seats": 12, "plan": "gold", "created_at": "2020-01-01T00:00Z"})
    scenario.contacts({"contact_id": "c1", "email": "ann@acme.test"})
    scenario.members(("c1", "o1"))
    scenario.invoke("ingest")
    return scenario


def flat(output: str) -> str:
    return output.replace("\n", "")


@pytest.mark.parametrize("name", list(VALUE_CORPUS))
def test_a_value_the_inputs_would_not_accept_is_invalid_at_its_line(crm, cli_paths, name):
    shutil.copyfile(JOURNEYS / name, cli_paths["journeys"] / name)
    output = flat(crm.invoke("validate", expect_exit=1).output)
    line, message = VALUE_CORPUS[name]
    assert f"{name}:{line}: " in output and message in output
    assert "good.yaml" not in output


@pytest.mark.parametrize("name", list(SHAPE_CORPUS))
def test_a_filter_too_wide_or_too_deep_is_invalid_with_a_message_about_its_shape(
    orgjourney, cli_paths, name
):
    text, line, message = SHAPE_CORPUS[name]
    (cli_paths["journeys"] / name).write_text(text)
    output = flat(orgjourney("validate", expect_exit=1).output)
    assert f"{name}:{line}: " in output and message in output
    assert "not valid YAML" not in output


def test_the_widest_and_deepest_filters_allowed_compile_and_run(crm, cli_paths):
    wide = (
        "{any: ["
        + ", ".join(f"{{tag: t{i}}}" for i in range(99))
        + ", {field: seats, op: gt, value: 5}]}"
    )
    deep = "{not: " * 15 + "{tag: nope}" + "}" * 15  # 15 nots around a leaf: 16 levels, true
    (cli_paths["journeys"] / "wide.yaml").write_text(_filter_journey("wide", wide))
    (cli_paths["journeys"] / "deep.yaml").write_text(_filter_journey("deep", deep))
    crm.invoke("validate")
    crm.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert crm.rows("select journey_id, org_id from enrollments order by 1") == [
        ("deep", "o1"),
        ("wide", "o1"),
    ]


def test_hostile_journeys_stop_only_themselves_and_the_run_exits_1(crm, cli_paths):
    for name in VALUE_CORPUS:
        shutil.copyfile(JOURNEYS / name, cli_paths["journeys"] / name)
    for name, (text, _, _) in SHAPE_CORPUS.items():
        (cli_paths["journeys"] / name).write_text(text)
    crm.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    output = flat(crm.run("2026-01-05T10:00Z", "2026-01-05T09:00Z", expect_exit=1).output)
    for name in [*VALUE_CORPUS, *SHAPE_CORPUS]:
        assert name in output
    assert crm.rows("select journey_id, contact_id from sends") == [("good", "c1")]


def test_sql_that_fails_on_a_windows_data_stops_that_journey_and_the_others_run(crm, cli_paths):
    # The warehouse records `plan` as a date field while its values are text (the journey's
    # SQL binds, and fails only on the rows): the window runs again without that journey.
    with duckdb.connect(str(cli_paths["warehouse"])) as con:
        con.execute("update custom_fields set type = 'date' where name = 'plan'")
    crm.journey(
        "id: renewal\nversion: 1\nstate: published\n"
        "entry: {when: approaching_date, field: plan, days_before: 30}\n"
        "steps:\n  - id: mail\n    send_email: {template: soon}\n"
    )
    crm.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    output = flat(crm.run("2026-01-05T10:00Z", "2026-01-05T09:00Z", expect_exit=1).output)
    assert "renewal.yaml:1: its SQL fails on window 2026-01-05T10:00Z" in output
    assert crm.rows("select journey_id, contact_id from sends") == [("good", "c1")]
    assert crm.rows("select count(*) from runs") == [(1,)]


def test_field_names_ignore_case_in_filters_updates_the_overlay_and_writeback(crm):
    crm.journey(
        "id: upgrade\nversion: 1\nstate: published\nfrequency: every_time\n"
        "entry: {when: activity, activity: purchase}\n"
        "steps:\n  - id: set\n    update_org: {field: PLAN, value: Platinum}\n"
    )
    crm.journey(
        "id: platinum\nversion: 1\nstate: published\n"
        "entry: {when: filter, filter: {field: Plan, op: eq, value: platinum}}\n"
        "steps:\n  - id: mail\n    send_email: {template: vip}\n"
    )
    crm.journey(
        "id: big\nversion: 1\nstate: published\n"
        "entry: {when: filter, filter: {field: SEATS, op: gt, value: 9}}\n"
        "steps:\n  - id: mail\n    send_email: {template: big}\n"
    )
    crm.events(("e1", "c1", "purchase", "2026-01-05T09:10Z"))
    crm.run("2026-01-05T11:00Z", "2026-01-05T09:00Z")
    # written back under the CRM's name of the field
    assert crm.rows("select journey_id, name, value from org_updates") == [
        ("upgrade", "plan", "Platinum")
    ]
    # the next run's filter sees it; `SEATS > 9` compares numbers (12 > 9), not text
    assert crm.rows("select journey_id, entered_at from enrollments order by 1") == [
        ("big", _at("10:00")),
        ("good", _at("10:00")),
        ("platinum", _at("11:00")),
        ("upgrade", _at("10:00")),
    ]


def _at(hhmm: str):
    from datetime import datetime

    return datetime.fromisoformat(f"2026-01-05T{hhmm}")
