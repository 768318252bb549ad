"""The analysts' views `journey_funnel` and `journey_summary` (SPEC section 4), and
`orgjourney report`, on one small scenario with exact numbers; the HTML page's charts hold
what the warehouse holds (tests/test_report_page.py renders it in Chromium)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from itertools import groupby

import pytest
from test_delivery import QUIET_HOURS, journey, one_contact_each

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


# -- the HTML page (`report --html`) ------------------------------------------------------------


class Page(HTMLParser):
    """A report page as its charts: per `<svg class="chart">` (by its aria-label), the
    `data-*` values of its marks; and the text of each journey's section."""

    def __init__(self, html: str):
        super().__init__()
        self.charts: dict[str, list[dict[str, str]]] = {}
        self.sections: dict[str, list[str]] = {}
        self._chart: str | None = None
        self._section: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "section":
            self._section = values["id"].removeprefix("journey-")
            self.sections[self._section] = []
        elif tag == "svg":
            self._chart = values["aria-label"]
            self.charts[self._chart] = []
            self.sections[self._section].append("<svg>")
        elif self._chart and "mark" in (values.get("class") or "").split():
            marks = {name[5:]: value for name, value in values.items() if name.startswith("data-")}
            self.charts[self._chart].append(marks)

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._section and not self._chart:
            self.sections[self._section].append(data)

    def text(self, journey_id: str) -> str:
        return " ".join("".join(self.sections[journey_id]).split())

    def edges(self, journey_id: str, version: int) -> dict[tuple[str, str], int]:
        marks = self.charts[f"funnel of {journey_id} v{version}"]
        return {(m["from"], m["to"]): int(m["count"]) for m in marks if "count" in m}

    def points(self, journey_id: str) -> dict[tuple[str, str], int]:
        marks = self.charts[f"entries, sends and conversions per day: {journey_id}"]
        return {(m["series"], m["day"]): int(m["value"]) for m in marks if "day" in m}

    def bars(self, journey_id: str) -> dict[str, int]:
        marks = self.charts[f"messages suppressed by reason: {journey_id}"]
        return {m["label"]: int(m["value"]) for m in marks}


def expected_charts(scenario) -> set[str]:
    """The charts a page of the whole warehouse draws: per journey with enrollments, its
    activity per day; with suppressions, their reasons; per version entered, its funnel."""
    entered = scenario.rows("select distinct journey_id, journey_version from enrollments")
    suppressed = scenario.rows("select distinct journey_id from suppressions")
    return (
        {f"entries, sends and conversions per day: {j}" for j, _ in entered}
        | {f"messages suppressed by reason: {j}" for (j,) in suppressed}
        | {f"funnel of {j} v{v}" for j, v in entered}
    )


def traversals(scenario, journey_id: str, version: int) -> Counter:
    """How often enrollments went along each edge, from `enrollment_steps` read in Python:
    ('', first step) the entry, (a, b) consecutive steps, (last step, 'end') a completion; a
    send held by a send window is recorded again when it sends, which is no move."""
    visits = scenario.rows(
        "select enrollment_id, step_id, outcome from enrollment_steps where journey_id = ? "
        "and journey_version = ? order by enrollment_id, reached_at, step_seq",
        journey_id,
        version,
    )
    counts: Counter = Counter()
    for _, rows in groupby(visits, key=lambda row: row[0]):
        previous, held = "", False
        for _, step, outcome in rows:
            if not (held and step == previous):
                counts[(previous, step)] += 1
            previous, held = step, outcome == "held"
    completed = scenario.rows(
        "select current_step_id from enrollments where journey_id = ? and journey_version = ? "
        "and status = 'completed' and end_reason = 'completed'",
        journey_id,
        version,
    )
    counts.update((step, "end") for (step,) in completed)
    return counts


def per_day(scenario, journey_id: str) -> Counter:
    """(series, UTC day) -> entries (by entered_at), sends (run_at), conversions (converted_at)."""
    counts: Counter = Counter()
    for series, table, column in (
        ("entered", "enrollments", "entered_at"),
        ("sent", "sends", "run_at"),
        ("converted", "conversions", "converted_at"),
    ):
        rows = scenario.rows(f"select {column} from {table} where journey_id = ?", journey_id)
        counts.update((series, at.date().isoformat()) for (at,) in rows)
    return counts


def test_report_html_is_a_self_contained_page_of_what_the_warehouse_holds(ran, tmp_path):
    page_path = tmp_path / "out" / "report.html"
    output = ran.invoke("report", "--html", str(page_path)).output
    assert str(page_path) in output.replace("\n", "")
    html = page_path.read_text()
    assert html.startswith("<!DOCTYPE html>")
    # nothing to fetch or run: no scripts, no sources, links only within the page
    assert "<script" not in html and "src=" not in html and "http" not in html
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', html))
    page = Page(html)

    [(windows, first, last)] = ran.rows(
        "select count(*), min(window_start), max(window_end) from runs"
    )
    assert (
        f"Period covered: {first:%Y-%m-%d %H:%M} UTC to {last:%Y-%m-%d %H:%M} UTC "
        f"({windows} hourly window(s) processed)"
    ) in html
    assert set(page.charts) == expected_charts(ran)
    assert all(page.charts.values()), "every chart has marks"

    [(name, state, version)] = ran.rows(
        "select name, state, max(version) from journeys where journey_id = 'welcome' group by all"
    )
    assert f"{name} (welcome) State: {state}; version {version}." in page.text("welcome")
    assert page.edges("welcome", version) == traversals(ran, "welcome", version)
    drawn = page.points("welcome")
    assert {key: value for key, value in drawn.items() if value} == per_day(ran, "welcome")
    assert {day for _, day in drawn} == {f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"}
    assert page.bars("welcome") == dict(
        ran.rows("select reason, count(*) from suppressions group by reason")
    )

    assert "This journey has never run (draft)" in page.text("idea")
    assert "<svg>" not in page.sections["idea"]  # said in words, no empty chart

    only = tmp_path / "welcome.html"
    ran.invoke("report", "--journey", "welcome", "--html", str(only))
    assert set(Page(only.read_text()).sections) == {"welcome"}


def test_a_send_held_by_a_send_window_is_one_move_into_its_step(scenario, tmp_path):
    """Reached at 21:00, held to 08:00 and sent then: two rows of `enrollment_steps` for the
    step, one traversal of the edge into it, none from it to itself."""
    one_contact_each(scenario, ("o1", None))
    steps = "  - id: mail\n    send_email: {template: hello}\n  - id: done\n    exit: {}\n"
    scenario.journey(journey("quiet", steps=steps, extra=QUIET_HOURS))
    scenario.events(("e1", "co1", "purchase", "2026-01-05T20:30Z"))
    scenario.run("2026-01-06T09:00Z", "2026-01-05T20:00Z")
    assert scenario.rows(
        "select outcome from enrollment_steps where step_id = 'mail' order by reached_at"
    ) == [
        ("held",),
        ("sent",),
    ]
    page_path = tmp_path / "report.html"
    scenario.invoke("report", "--html", str(page_path))
    edges = Page(page_path.read_text()).edges("quiet", 1)
    assert edges == traversals(scenario, "quiet", 1)
    assert edges[("", "mail")] == 1 and ("mail", "mail") not in edges
