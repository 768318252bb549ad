"""`explain` (SPEC section 5): one organization's decisions from the tables the engine wrote,
and the engine's next run for it, on the world of `test_backtest` (its `live` fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from test_backtest import live  # noqa: F401  (the fixture)

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
# Two organizations in `make test`, all five in `make slow` (each builds the live world).
ORGS = ["o1", "o2", *(pytest.param(org, marks=pytest.mark.slow) for org in ("o3", "o4", "o5"))]


def _explain(orgjourney, *args: str) -> dict:
    found = json.loads(orgjourney("explain", *args, "--json").stdout)
    jsonschema.validate(found, json.loads((SCHEMAS / "explain.schema.json").read_text()))
    return found


@pytest.mark.parametrize("org_id", ORGS)
def test_explain_tells_every_decision_the_tables_hold(live, orgjourney, org_id):  # noqa: F811
    found = _explain(orgjourney, org_id)
    enrollments = live.rows(
        "select enrollment_id, journey_id, status, end_reason from enrollments"
        " where org_id = ? order by entered_at, journey_id",
        org_id,
    )
    assert [
        (e["enrollment_id"], e["journey_id"], e["status"], e["end_reason"])
        for e in found["enrollments"]
    ] == enrollments
    for enrollment in found["enrollments"]:
        eid = enrollment["enrollment_id"]
        steps = live.rows(
            "select step_id, outcome from enrollment_steps where enrollment_id = ?"
            " order by reached_at, step_seq",
            eid,
        )
        assert [(s["step_id"], s["outcome"]) for s in enrollment["steps"]] == steps
        contacts = live.rows(
            "select step_id, contact_id, null from sends where enrollment_id = ? union all"
            " select step_id, contact_id, reason from suppressions where enrollment_id = ?",
            eid,
            eid,
        )
        told = [(c["step_id"], c["contact_id"], c["reason"]) for c in enrollment["contacts"]]
        assert sorted(told, key=str) == sorted(contacts, key=str)
        conversions = live.rows("select event_id from conversions where enrollment_id = ?", eid)
        assert [(c["event_id"],) for c in enrollment["conversions"]] == conversions


def test_explain_names_the_triggering_events_and_a_late_one(live, orgjourney):  # noqa: F811
    (o1,) = [e for e in _explain(orgjourney, "o1", "--journey", "nurture")["enrollments"]]
    assert [(t["event_id"], t["late"]) for t in o1["triggering_events"]] == [("f1", False)]
    assert o1["entry_rule"]["activity"] == "form_submitted"
    (o4,) = _explain(orgjourney, "o4", "--journey", "nurture")["enrollments"]
    # f4 occurred at 11:40 but was loaded after the 13:00 run: the 14:00 run processed it.
    assert o4["entered_at"] == "2026-01-05T14:00:00Z"
    assert [(t["event_id"], t["late"]) for t in o4["triggering_events"]] == [("f4", True)]


def test_explain_says_who_enters_at_the_next_run_and_what_stops_the_others(live, orgjourney):  # noqa: F811
    live.events(
        ("n1", "c1", "form_submitted", "2026-01-06T12:10Z"),
        ("n2", "c2", "form_submitted", "2026-01-06T12:20Z"),
    )
    live.invoke("ingest")

    def next_run(org_id: str) -> dict:
        (run,) = _explain(orgjourney, org_id, "--journey", "nurture")["next_run"]
        return run

    assert next_run("o1")["enters"] is True
    o2 = next_run("o2")
    assert (o2["enters"], o2["stopped_by"]) == (False, "entry_filter")
    plan = live.rows("select plan from organizations where org_id = 'o2'")[0][0]
    assert o2["detail"]["condition"] == {
        "condition": {"field": "plan", "op": "ne", "value": "free"},
        "true": False,
        "value": plan,
    }
    o3 = next_run("o3")
    assert (o3["enters"], o3["stopped_by"]) == (False, "entry_rule")


def test_an_unknown_organization_or_journey_is_an_error_with_a_suggestion(live, orgjourney):  # noqa: F811
    result = orgjourney("explain", "o9x", expect_exit=1)
    assert "no organization 'o9x'" in result.output
    result = orgjourney("explain", "o1", "--journey", "nurtre", expect_exit=1)
    assert "no journey 'nurtre' (did you mean 'nurture'?)" in result.output


def test_the_python_api_explains_the_past_decisions_as_a_frame(live):  # noqa: F811
    import orgjourney_pipeline

    frame = orgjourney_pipeline.open(live.paths["warehouse"]).explain("o4", journey="nurture")
    sends = live.rows("select count(*) from sends where org_id = 'o4' and journey_id = 'nurture'")
    assert frame.filter(frame["decision"] == "sent").height == sends[0][0] > 0
    assert frame.filter(frame["decision"] == "triggered_by")["detail"].to_list() == [
        "f4 of c4 (late arrival)"
    ]
    assert frame["decision"][0] == "entered"
