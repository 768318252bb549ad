"""The analysts' `organizations` (SPEC section 4): the current state as the filters see it,
the newest CRM snapshot with the journeys' tag and field updates laid over it.

One journey tags the organizations that submit a form, removes a tag, sets a custom field
and a field the snapshot does not have. Each expectation is the snapshot's row with exactly
those updates applied; a later snapshot replaces them.
"""

from __future__ import annotations

JOURNEY = """\
id: mark
name: Mark
version: 1
state: published
entry: {when: activity, activity: form_submitted}
steps:
  - id: tag
    tag_org: {add: [hot], remove: [cold]}
  - id: tier
    update_org: {field: tier, value: gold}
  - id: owner
    update_org: {field: owner, value: ops}
"""


def organizations(scenario) -> dict[str, tuple]:
    rows = scenario.rows(
        "select org_id, name, list_sort(tags), tier, owner from organizations order by org_id"
    )
    return {org_id: (name, tags, tier, owner) for org_id, name, tags, tier, owner in rows}


def world(scenario) -> None:
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "tier": "bronze", "tags": ["Cold", "VIP"]},
        {"org_id": "o2", "name": "Beta", "tier": "silver", "tags": ["Cold"]},
    )
    scenario.contacts({"contact_id": "c1", "email": "c1@x.test"})
    scenario.members(("c1", "o1"))
    scenario.journey(JOURNEY)
    scenario.events(("e1", "c1", "form_submitted", "2026-01-05T09:30Z"))


def test_the_view_shows_the_snapshot_with_the_steps_updates_laid_over_it(scenario):
    world(scenario)
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    assert organizations(scenario) == {
        # `cold` removed whatever its spelling, `hot` added, the CRM's `VIP` kept as spelled;
        # a field the snapshot lacks became a column.
        "o1": ("Acme", ["VIP", "hot"], "gold", "ops"),
        "o2": ("Beta", ["Cold"], "silver", None),  # untouched: the snapshot's row
    }
    # The view agrees with what the updates say, one field and tag change at a time.
    updates = scenario.rows("select kind, name, value from org_updates order by seq")
    assert {(kind, name) for kind, name, _ in updates} == {
        ("tag_add", "hot"),
        ("tag_remove", "cold"),
        ("field", "tier"),
        ("field", "owner"),
    }


def test_an_organizations_snapshot_after_the_updates_replaces_them(scenario):
    world(scenario)
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "tier": "silver", "tags": ["cold"]},
        {"org_id": "o2", "name": "Beta", "tier": "silver", "tags": []},
        at="2026-01-05T10:30Z",
    )
    scenario.run("2026-01-05T11:00Z")
    # The CRM is the truth again; the field only steps set stays a column, now empty.
    assert organizations(scenario) == {
        "o1": ("Acme", ["cold"], "silver", None),
        "o2": ("Beta", [], "silver", None),
    }


def test_the_filters_see_what_the_view_shows(scenario):
    """A second journey enters on the view's values: a tag and a field steps set."""
    world(scenario)
    scenario.journey(
        """\
id: follow
name: Follow
version: 1
state: published
entry:
  when: filter
  filter:
    all:
      - {tag: hot}
      - {field: tier, op: eq, value: GOLD}
steps:
  - id: done
    tag_org: {add: [followed]}
"""
    )
    scenario.run("2026-01-05T11:00Z", "2026-01-05T09:00Z")
    shown = scenario.rows(
        "select org_id from organizations where list_contains(tags, 'hot') and tier = 'gold'"
    )
    entered = scenario.rows("select org_id from enrollments where journey_id = 'follow'")
    assert shown == entered == [("o1",)]
    assert organizations(scenario)["o1"][1] == ["VIP", "followed", "hot"]


def test_the_view_says_what_one_row_is(scenario):
    world(scenario)
    scenario.run("2026-01-05T10:00Z", "2026-01-05T09:00Z")
    [(comment,)] = scenario.rows(
        "select comment from duckdb_views() where view_name = 'organizations'"
    )
    assert "as the journeys' filters see it" in comment
    # Still commented after the next command opened (and upgraded) the warehouse.
    scenario.run("2026-01-05T11:00Z")
    assert scenario.rows(
        "select comment from duckdb_views() where view_name = 'organizations'"
    ) == [(comment,)]


def test_a_step_that_removes_the_last_tag_leaves_no_tags(scenario):
    """Long differential profile: a step removing the only tag, or a tag the organization
    does not have, left its tags as [null], a list `is_set` saw as set (an enrollment exited
    on `tags is_set`). The organization has no tags, in the view and to the filters."""
    scenario.orgs(
        {"org_id": "o1", "name": "Acme", "tags": ["Cold"]},
        {"org_id": "o3", "name": "Gamma", "tags": []},
    )
    scenario.contacts({"contact_id": "c1", "email": "c1@x.test"}, {"contact_id": "c3"})
    scenario.members(("c1", "o1"), ("c3", "o3"))
    scenario.journey(
        """\
id: untag
name: Untag
version: 1
state: published
entry: {when: activity, activity: form_submitted}
steps:
  - id: untag
    tag_org: {remove: [cold]}
"""
    )
    scenario.journey(
        """\
id: bare
name: Bare
version: 1
state: published
entry: {when: filter, filter: {field: tags, op: is_not_set}}
steps:
  - id: mark
    update_org: {field: tier, value: bare}
"""
    )
    scenario.events(
        ("e1", "c1", "form_submitted", "2026-01-05T09:30Z"),
        ("e3", "c3", "form_submitted", "2026-01-05T09:40Z"),
    )
    scenario.run("2026-01-05T11:00Z", "2026-01-05T09:00Z")
    assert scenario.rows("select org_id, tags from organizations order by org_id") == [
        ("o1", []),
        ("o3", []),
    ]
    # o3 had no tags from the start; o1 has none once `untag` removed `cold` at 10:00.
    entered = "select org_id, hour(entered_at) from enrollments where journey_id = 'bare'"
    assert scenario.rows(entered + " order by org_id") == [("o1", 11), ("o3", 10)]
