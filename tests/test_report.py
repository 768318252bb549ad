"""The analysts' views `journey_funnel` and `journey_summary` (SPEC section 4), and
`orgjourney report`, on one small scenario with exact numbers."""

from __future__ import annotations

import base64
import re

import pytest

DAY = "2026-01-05"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


WELCOME = """\
id: welcome
name: Welcome
version: 1
state: published
frequency: every_time
entry:
  when: activity
  activity: form_submitted
exit:
  on_conversion: true
attribution: {activity: purchase, within_days: 1}
steps:
  - id: mail
    send_email: {template: hello}
  - id: wait
    delay: {hours: 1}
  - id: follow
    send_email: {template: follow-up}
"""

IDEA = """\
id: idea
name: An idea
version: 1
state: draft
entry:
  when: activity
  activity: form_submitted
steps:
  - id: only
    send_email: {template: idea}
"""


@pytest.fixture
def ran(scenario):
    """Three organizations enter `welcome` at 10:00; o2 converts at 10:30 and exits at 11:00;
    o1 and o3 complete at 11:00. o3's only contact has no email: its messages are suppressed."""
    scenario.orgs({"org_id": "o1"}, {"org_id": "o2"}, {"org_id": "o3"})
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test"},
        {"contact_id": "c2", "email": "bob@beta.test"},
        {"contact_id": "c3", "email": ""},
        {"contact_id": "c4", "email": "cat@acme.test"},
    )
    scenario.members(("c1", "o1"), ("c4", "o1"), ("c2", "o2"), ("c3", "o3"))
    scenario.journey(WELCOME)
    scenario.journey(IDEA)
    scenario.events(
        ("f1", "c1", "form_submitted", at("09:30")),
        ("f2", "c2", "form_submitted", at("09:30")),
        ("f3", "c3", "form_submitted", at("09:30")),
        ("p1", "c2", "purchase", at("10:30")),
    )
    scenario.run(at("11:00"), at("09:00"))
    return scenario


def test_journey_summary_and_journey_funnel_count_what_happened(ran):
    assert ran.rows(
        "select journey_id, name, state, entered, active, completed, exited, converted,"
        " conversion_rate from journey_summary order by journey_id"
    ) == [
        ("idea", "An idea", "draft", 0, 0, 0, 0, 0, None),
        ("welcome", "Welcome", "published", 3, 0, 2, 1, 1, 0.3333),
    ]
    assert ran.rows(
        "select journey_version, position, step_id, reached, sent, suppressed, converted "
        "from journey_funnel where journey_id = 'welcome' order by position"
    ) == [
        (1, 1, "mail", 3, 3, 1, 0),
        (1, 2, "wait", 3, 0, 0, 1),  # o2 converted at 10:30, after reaching `wait` at 10:00
        (1, 3, "follow", 2, 2, 1, 0),
    ]


def test_journey_summary_says_a_stopped_journey_is_stopped(ran):
    (ran.paths["journeys"] / "welcome.yaml").write_text("id: welcome\nversion: [\n")
    ran.run(at("12:00"), expect_exit=1)
    assert ran.rows("select state from journey_summary where journey_id = 'welcome'") == [
        ("stopped",)
    ]


def cells(output: str, first: str) -> list[str]:
    """The cells of the printed table row that starts with `first`."""
    for line in output.splitlines():
        values = [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]
        if values and values[0] == first:
            return values
    raise AssertionError(f"no row {first!r} in:\n{output}")


def test_report_prints_the_summary_and_each_funnel(ran):
    output = ran.invoke("report").output
    assert cells(output, "welcome") == [
        "welcome",
        "Welcome",
        "published",
        "3",
        "0",
        "2",
        "1",
        "1",
        "33.3%",
    ]
    assert cells(output, "idea") == ["idea", "An idea", "draft", "0", "0", "0", "0", "0", "-"]
    assert "funnel: welcome" in output and "funnel: idea" in output

    only = ran.invoke("report", "--journey", "welcome").output
    assert "funnel: idea" not in only
    funnel = [
        values
        for values in (
            [cell.strip() for cell in re.split(r"[│┃]", line) if cell.strip()]
            for line in only.split("funnel: welcome", 1)[1].splitlines()
        )
        if len(values) == 7 and values[0] == "1"
    ]
    assert funnel == [
        ["1", "1", "mail", "3", "3", "1", "0"],
        ["1", "2", "wait", "3", "0", "0", "1"],
        ["1", "3", "follow", "2", "2", "1", "0"],
    ]

    unknown = ran.invoke("report", "--journey", "nope", expect_exit=1)
    assert "nope" in unknown.output


def test_report_html_is_a_self_contained_page_with_embedded_charts(ran, tmp_path):
    page = tmp_path / "out" / "report.html"
    output = ran.invoke("report", "--html", str(page)).output
    assert str(page) in output.replace("\n", "")
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "welcome" in html and "idea" in html
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    alts = [alt for alt, _ in images]
    assert "conversions per day" in alts
    assert "funnel of welcome v1" in alts
    for _, data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert "http" not in html.replace("http-equiv", "")  # nothing to fetch: self-contained
