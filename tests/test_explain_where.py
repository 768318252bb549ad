"""`explain` names as triggering events only the activities the entry rule admits: of its
type, by a member, processed by the entering run, and matching its `where` on properties."""

from __future__ import annotations

import json

FORM = """\
id: demo-request
name: Demo request
version: 1
state: published
entry:
  when: activity
  activity: form_submitted
  where: {form: demo, "utm.source": ads}
frequency: once_at_a_time
steps:
  - id: hello
    send_email: {template: hello}
"""


def test_only_the_events_that_match_the_entry_where_are_named(scenario, orgjourney):
    scenario.orgs({"org_id": "o1", "name": "One"})
    scenario.contacts(
        {"contact_id": "c1", "email": "c1@x.test"}, {"contact_id": "c2", "email": "c2@x.test"}
    )
    scenario.members(("c1", "o1"), ("c2", "o1"))
    scenario.journey(FORM)
    scenario.events(
        (
            "match",
            "c1",
            "form_submitted",
            "2026-01-05T10:10Z",
            {"form": "demo", "utm.source": "ads"},
        ),
        ("other-form", "c2", "form_submitted", "2026-01-05T10:20Z", {"form": "newsletter"}),
        ("other-source", "c2", "form_submitted", "2026-01-05T10:30Z", {"form": "demo"}),
    )
    scenario.run("2026-01-05T11:00Z", "2026-01-05T10:00Z")
    (entered,) = scenario.rows("select enrollment_id from enrollments")
    found = json.loads(orgjourney("explain", "o1", "--json").stdout)
    (enrollment,) = found["enrollments"]
    assert enrollment["enrollment_id"] == entered[0]
    assert [t["event_id"] for t in enrollment["triggering_events"]] == ["match"]
