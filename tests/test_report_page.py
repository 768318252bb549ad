"""`report --html` in a real browser: Debian's Chromium, headless, driven by Selenium.

The page of a journey that branches (a condition sends VIP organizations to a call, the
others to a follow-up) run over two days, beside a draft that never ran, loads with no
console error; every chart the warehouse calls for is there with a box of non-zero size,
and every one of its marks is drawn; the condition's two targets stand side by side, below
it; every edge of the journey's graph shows its count (0 on the branch nobody took); the
draft's section says it never ran and has no chart; and a full-page screenshot is kept as
the test's artifact, `report.png` in its temporary folder.

`make setup` and `make test` install Debian's `chromium` and `chromium-driver` when they are
missing (`make browser`); nothing is downloaded by the test.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from test_report import IDEA, expected_charts, traversals

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Headless, and quiet on a closed network: no background requests, updates or sync.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
DAY1, DAY2 = "2026-01-05", "2026-01-06"

WELCOME = """\
id: welcome
name: Welcome
version: 1
state: published
frequency: every_time
entry: {when: activity, activity: form_submitted}
attribution: {activity: purchase, within_days: 2}
steps:
  - id: mail
    send_email: {template: hello}
  - id: check
    condition:
      - if: {tag: vip}
        goto: call
      - else: follow
  - id: follow
    send_email: {template: follow-up}
    next: end
  - id: call
    send_sms: {template: call-me}
  - id: wait-reply
    wait_for: {activity: sms_replied, timeout: {hours: 1}}
    then: thanks
    else: end
  - id: thanks
    tag_org: {add: [replied]}
"""
# The journey's graph, as its file draws it ('' is the entry).
EDGES = {
    ("", "mail"),
    ("mail", "check"),
    ("check", "call"),
    ("check", "follow"),
    ("follow", "end"),
    ("call", "wait-reply"),
    ("wait-reply", "thanks"),
    ("wait-reply", "end"),
    ("thanks", "end"),
}


@pytest.fixture
def ran(scenario):
    """o1 (VIP) and o2 enter before midnight, o3 after it; o2 converts. o1's second contact
    has no phone, o3's only contact no email: suppressions. Four windows, two UTC days."""
    scenario.orgs({"org_id": "o1", "tags": ["VIP"]}, {"org_id": "o2"}, {"org_id": "o3"})
    scenario.contacts(
        {"contact_id": "c1", "email": "ann@acme.test", "phone": "+4912345", "sms_opt_in": True},
        {"contact_id": "c2", "email": "bob@acme.test"},
        {"contact_id": "c3", "email": "cat@beta.test"},
        {"contact_id": "c4", "email": ""},
    )
    scenario.members(("c1", "o1"), ("c2", "o1"), ("c3", "o2"), ("c4", "o3"))
    scenario.journey(WELCOME)
    scenario.journey(IDEA)
    scenario.events(
        ("f1", "c1", "form_submitted", f"{DAY1}T22:30Z"),
        ("f2", "c3", "form_submitted", f"{DAY1}T22:40Z"),
        ("p1", "c3", "purchase", f"{DAY1}T23:30Z"),
        ("f3", "c4", "form_submitted", f"{DAY2}T00:30Z"),
    )
    scenario.run(f"{DAY2}T02:00Z", f"{DAY1}T22:00Z")
    return scenario


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium with a new empty profile, its console kept."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"no {' or '.join(missing)}: `make setup` installs Debian's chromium and "
            "chromium-driver (apt-get install -y chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


# Per chart: its title, its box, how many marks it has and how many have a box of some size.
CHARTS = """
return [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('.mark')];
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  return {title: svg.getAttribute('aria-label'), width: box.width, height: box.height,
          marks: marks.length, drawn: drawn.length};
});
"""
# The box of each node of a funnel, and the text on each of its edges.
FUNNEL = """
const svg = [...document.querySelectorAll('svg.chart')]
  .find(s => s.getAttribute('aria-label') === arguments[0]);
const nodes = {};
for (const r of svg.querySelectorAll('rect[data-node]')) {
  const b = r.getBoundingClientRect();
  nodes[r.dataset.node] = {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
}
const labels = [...svg.querySelectorAll('text[data-to]')].map(t =>
  [t.dataset.from, t.dataset.to, t.textContent, t.getBBox().width]);
return {nodes, labels};
"""


def test_the_report_page_renders_in_chromium(ran, chromium, tmp_path):
    page_path = tmp_path / "report.html"
    ran.invoke("report", "--html", str(page_path))
    chromium.get(page_path.as_uri())
    WebDriverWait(chromium, 10).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )

    errors = [entry for entry in chromium.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    charts = chromium.execute_script(CHARTS)
    assert sorted(chart["title"] for chart in charts) == sorted(expected_charts(ran))
    for chart in charts:
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["marks"] > 0 and chart["drawn"] == chart["marks"], chart

    funnel = chromium.execute_script(FUNNEL, "funnel of welcome v1")
    check, call, follow = (funnel["nodes"][key] for key in ("check", "call", "follow"))
    assert call["top"] == follow["top"] > check["bottom"]  # the branches side by side
    assert call["right"] <= follow["left"] or follow["right"] <= call["left"]
    counted = traversals(ran, "welcome", 1)
    assert set(counted) <= EDGES and ("wait-reply", "thanks") not in counted
    shown = {(source, target): text for source, target, text, _ in funnel["labels"]}
    assert set(shown) == EDGES  # every edge of the graph, the untaken one too
    for edge, text in shown.items():
        assert text.split()[0] == str(counted.get(edge, 0)), (edge, text)
    assert all(width > 0 for *_, width in funnel["labels"])

    idea = chromium.find_element("id", "journey-idea")
    assert "never run" in idea.text and not idea.find_elements("css selector", "svg")

    _screenshot(chromium, tmp_path / "report.png")


def _screenshot(driver, path: Path) -> None:
    """The whole page, beyond the window, as a PNG at `path` (Chrome's DevTools protocol)."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (width, height) and height > 1000
