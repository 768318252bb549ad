"""`preview` applies the frequency caps of `delivery.yaml`: a contact that the sends of
another journey already brought to its cap today is shown as `frequency_capped`."""

from __future__ import annotations

import json

PROMO = """\
id: promo
name: Promo
version: 1
state: published
entry: {when: activity, activity: page_viewed}
frequency: every_time
steps:
  - id: offer
    send_email: {template: offer}
"""

WELCOME = """\
id: welcome
name: Welcome
version: 1
state: draft
entry:
  when: filter
  filter: {field: plan, op: eq, value: pro}
steps:
  - id: hello
    send_email: {template: hello}
"""


def test_preview_shows_the_contacts_the_daily_cap_holds_back(scenario, orgjourney):
    scenario.orgs({"org_id": "o1", "name": "One", "plan": "pro"})
    scenario.contacts(
        {"contact_id": "c1", "email": "c1@x.test"}, {"contact_id": "c2", "email": "c2@x.test"}
    )
    scenario.members(("c1", "o1"), ("c2", "o1"))
    scenario.journey(PROMO)
    scenario.journey(WELCOME)
    (scenario.paths["journeys"] / "delivery.yaml").write_text(
        "caps:\n  - {channel: email, max: 1, per: day}\ntimezone: UTC\n"
    )
    scenario.events(("p1", "c1", "page_viewed", "2026-01-05T10:10Z"))
    scenario.run("2026-01-05T11:00Z", "2026-01-05T10:00Z")
    promo_sent = {row[0] for row in scenario.rows("select contact_id from sends")}
    assert promo_sent, "promo's sends reach the contacts of o1 first"
    found = json.loads(
        orgjourney("preview", "welcome", "--at", "2026-01-05T12:00Z", "--json").stdout
    )
    told = {r["contact_id"]: r["suppressed"] for r in found["recipients"]}
    assert told == {
        contact: "frequency_capped" if contact in promo_sent else None for contact in ("c1", "c2")
    }
    assert found["totals"]["suppressed"] == {"frequency_capped": len(promo_sent)}
