"""`explain`'s next run names the frequency rule with the enrollment that blocks it, and the
global holdout (SPEC section 5), on a world where both stop organizations: every organization
matches a filter journey entered `once`, under a global holdout of 30 %.

What is expected comes from the tables the engine wrote: an organization that entered is
blocked by its own enrollment; one that matches but never entered is in the global holdout.
"""

from __future__ import annotations

import json

import pytest

ORGS = [f"g{i:02d}" for i in range(1, 31)]

ONCE = """\
id: welcome
name: Welcome
version: 1
state: published
entry:
  when: filter
  filter: {field: plan, op: eq, value: pro}
frequency: once
steps:
  - id: hello
    send_email: {template: hello}
"""


@pytest.fixture
def world(scenario):
    scenario.orgs(*({"org_id": org, "name": org, "plan": "pro"} for org in ORGS))
    scenario.contacts(*({"contact_id": f"c{org}", "email": f"{org}@x.test"} for org in ORGS))
    scenario.members(*((f"c{org}", org) for org in ORGS))
    scenario.journey(ONCE)
    (scenario.paths["journeys"] / "delivery.yaml").write_text("global_holdout: {percent: 30}\n")
    scenario.run("2026-01-05T12:00Z", "2026-01-05T10:00Z")
    return scenario


def _next_run(orgjourney, org_id: str) -> dict:
    found = json.loads(orgjourney("explain", org_id, "--journey", "welcome", "--json").stdout)
    (run,) = found["next_run"]
    return run


def test_an_organization_that_entered_once_is_stopped_by_its_enrollment(world, orgjourney):
    entered = world.rows(
        "select org_id, enrollment_id, status from enrollments where journey_id = 'welcome'"
        " order by org_id"
    )
    assert entered, "some organizations enter the journey"
    for org_id, enrollment_id, status in entered[:5]:
        run = _next_run(orgjourney, org_id)
        assert (run["enters"], run["stopped_by"]) == (False, "frequency")
        assert run["detail"]["frequency"] == "once"
        blocking = run["detail"]["enrollment"]
        assert (blocking["enrollment_id"], blocking["status"]) == (enrollment_id, status)


def test_an_organization_in_the_global_holdout_is_said_to_be_held_out(world, orgjourney):
    entered = {row[0] for row in world.rows("select org_id from enrollments")}
    held_out = [org for org in ORGS if org not in entered]
    # 30 % of 30 organizations by a hash: some are held out, most are not.
    assert 0 < len(held_out) < len(ORGS) // 2
    for org_id in held_out:
        run = _next_run(orgjourney, org_id)
        assert (run["enters"], run["stopped_by"]) == (False, "global_holdout")
