"""What happened, per journey: run summaries, the analysts' views and an HTML report.

The statements are the files of `sql/reports/`; a report of one journey narrows them with a
sqlglot condition (`contract.narrowed`).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

import duckdb

from orgjourney_pipeline import contract, sqlfiles


@dataclass(frozen=True)
class JourneyActivity:
    """One journey's movement over a range of windows."""

    journey_id: str
    entered: int
    sent: int
    suppressed: int
    completed: int
    exited: int


def run_summary(
    con: duckdb.DuckDBPyConnection, after: datetime, through: datetime
) -> list[JourneyActivity]:
    """Per journey: entries, messages, suppressions and endings in windows ending in (after, through]."""
    statement = sqlfiles.load("reports/run_summary.sql").sql(after=after, through=through)
    return [JourneyActivity(*row) for row in con.execute(statement).fetchall()]


# -- the analysts' views: journey_summary and journey_funnel ----------------------------------


@dataclass(frozen=True)
class JourneySummary:
    """One row of `journey_summary`: a journey's enrollments by status and its conversions."""

    journey_id: str
    name: str | None
    state: str
    entered: int
    active: int
    completed: int
    exited: int
    converted: int
    conversion_rate: float | None


@dataclass(frozen=True)
class FunnelStep:
    """One row of `journey_funnel`: a step of one journey version and what went through it."""

    journey_id: str
    journey_version: int
    position: int
    step_id: str
    reached: int
    sent: int
    suppressed: int
    converted: int


@dataclass(frozen=True)
class DailyConversions:
    """Conversions of one journey on one UTC day (by `converted_at`)."""

    journey_id: str
    day: date
    conversions: int


@dataclass(frozen=True)
class JourneyLift:
    """One row of `journey_lift` (of a version with a holdout): treated against holdout."""

    journey_id: str
    journey_version: int
    treated_enrollments: int
    treated_conversions: int
    holdout_enrollments: int
    holdout_conversions: int
    treated_rate: float | None
    holdout_rate: float | None
    difference: float | None
    difference_ci_low: float | None
    difference_ci_high: float | None
    relative_lift: float | None


@dataclass(frozen=True)
class JourneyReport:
    """What `orgjourney report` shows: the summary, the funnels, conversions over time and
    the lift of the journeys with a holdout."""

    summary: list[JourneySummary]
    funnel: list[FunnelStep]
    daily_conversions: list[DailyConversions]
    lift: list[JourneyLift] = field(default_factory=list)

    @property
    def journey_ids(self) -> list[str]:
        return [row.journey_id for row in self.summary]


def journey_report(con: duckdb.DuckDBPyConnection, journey_id: str | None = None) -> JourneyReport:
    """Read `journey_summary`, `journey_funnel` and daily conversions (all journeys, or one)."""

    def rows(name: str) -> list[tuple]:
        statement = contract.narrowed(
            sqlfiles.load(f"reports/{name}.sql").bind(), journey_id=journey_id
        )
        return con.execute(statement.sql(dialect="duckdb")).fetchall()

    return JourneyReport(
        [JourneySummary(*row) for row in rows("journey_summary")],
        [FunnelStep(*row) for row in rows("journey_funnel")],
        [DailyConversions(*row) for row in rows("daily_conversions")],
        [JourneyLift(*row) for row in rows("journey_lift")],
    )


def format_rate(rate: float | None) -> str:
    """A conversion rate as a percentage ('-' when nothing entered)."""
    return "-" if rate is None else f"{rate:.1%}"


def write_html(report: JourneyReport, path: Path, *, title: str = "orgjourney report") -> Path:
    """Write a self-contained HTML page: the summary table, a funnel chart per journey and
    version, and conversions per day; charts are PNGs embedded as base64 `data:` URIs."""
    sections = [
        f"<h1>{escape(title)}</h1>",
        "<h2>Summary</h2>",
        _summary_table_html(report.summary),
        "<h2>Conversions per day</h2>",
    ]
    if report.daily_conversions:
        sections.append(_img(_conversions_chart(report.daily_conversions), "conversions per day"))
    else:
        sections.append("<p>No conversions yet.</p>")
    sections.append("<h2>Lift (holdouts)</h2>")
    if report.lift:
        sections.append(_lift_table_html(report.lift))
    else:
        sections.append("<p>No journey has a holdout yet.</p>")
    sections.append("<h2>Funnels</h2>")
    versions: dict[tuple[str, int], list[FunnelStep]] = {}
    for step in report.funnel:
        versions.setdefault((step.journey_id, step.journey_version), []).append(step)
    anchored: set[str] = set()
    for (journey_id, version), steps in versions.items():
        label = f"{journey_id} v{version}"
        if journey_id not in anchored:
            anchored.add(journey_id)
            sections.append(f'<a id="{escape(journey_id)}"></a>')
        sections.append(f"<h3>{escape(label)}</h3>")
        if steps:
            sections.append(_img(_funnel_chart(label, steps), f"funnel of {label}"))
        sections.append(_funnel_table_html(steps))
    if not versions:
        sections.append("<p>No journey has run yet.</p>")
    page = _PAGE.format(title=escape(title), body="\n".join(sections))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
img {{ max-width: 100%; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def _summary_table_html(rows: list[JourneySummary]) -> str:
    head = "".join(
        f"<th>{name}</th>"
        for name in (
            "journey",
            "name",
            "state",
            "entered",
            "active",
            "completed",
            "exited",
            "converted",
            "conversion rate",
        )
    )
    body = "".join(
        f'<tr><td><a href="#{escape(r.journey_id)}">{escape(r.journey_id)}</a></td>'
        + f"<td>{escape(r.name or '')}</td><td>{escape(r.state)}</td>"
        + "".join(
            f'<td class="n">{value}</td>'
            for value in (r.entered, r.active, r.completed, r.exited, r.converted)
        )
        + f'<td class="n">{format_rate(r.conversion_rate)}</td></tr>'
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _lift_table_html(rows: list[JourneyLift]) -> str:
    """Treated and holdout conversion rates, the difference with its 95 % interval, the
    relative lift (`journey_lift`)."""
    names = ("journey", "treated", "holdout", "difference (95 % CI)", "relative lift")
    head = "".join(f"<th>{name}</th>" for name in names)

    def side(enrollments: int, conversions: int, rate: float | None) -> str:
        return f'<td class="n">{conversions} / {enrollments} = {format_rate(rate)}</td>'

    def points(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:+.1f} pts"

    body = "".join(
        f"<tr><td>{escape(r.journey_id)} v{r.journey_version}</td>"
        + side(r.treated_enrollments, r.treated_conversions, r.treated_rate)
        + side(r.holdout_enrollments, r.holdout_conversions, r.holdout_rate)
        + f'<td class="n">{points(r.difference)} ({points(r.difference_ci_low)} .. '
        + f"{points(r.difference_ci_high)})</td>"
        + f'<td class="n">{format_rate(r.relative_lift)}</td></tr>'
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _funnel_table_html(steps: list[FunnelStep]) -> str:
    head = "".join(
        f"<th>{name}</th>" for name in ("#", "step", "reached", "sent", "suppressed", "converted")
    )
    body = "".join(
        f'<tr><td class="n">{s.position}</td><td>{escape(s.step_id or "")}</td>'
        + "".join(
            f'<td class="n">{value}</td>'
            for value in (s.reached, s.sent, s.suppressed, s.converted)
        )
        + "</tr>"
        for s in steps
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _figure(width: float, height: float):
    """A matplotlib figure drawn by the Agg backend (no display, no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _funnel_chart(label: str, steps: list[FunnelStep]) -> bytes:
    """Enrollments that reached each step, in the journey's order, labelled with the messages
    sent and the conversions each step was the last before."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(7, 0.9 + 0.4 * len(steps))
    axes = figure.add_subplot()
    positions = list(range(len(steps)))
    bars = axes.barh(positions, [s.reached for s in steps], 0.6, color="#4c72b0")
    notes = []
    for step in steps:
        parts = [f"{step.reached} reached"]
        if step.sent:
            parts.append(f"{step.sent} sent")
        if step.suppressed:
            parts.append(f"{step.suppressed} suppressed")
        if step.converted:
            parts.append(f"{step.converted} converted")
        notes.append(", ".join(parts))
    axes.bar_label(bars, notes, padding=4, fontsize="small")
    axes.set_yticks(positions, [f"{s.position}. {s.step_id}" for s in steps])
    axes.invert_yaxis()
    axes.margins(x=0.45)
    axes.set_xlim(left=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("enrollments")
    axes.set_title(f"funnel: {label}")
    return _png(figure)


def _conversions_chart(daily: list[DailyConversions]) -> bytes:
    """Conversions per UTC day, stacked by journey, over every day from the first to the last."""
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.ticker import MaxNLocator

    first, last = min(row.day for row in daily), max(row.day for row in daily)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    counts: dict[str, dict[date, int]] = {}
    for row in daily:
        counts.setdefault(row.journey_id, {})[row.day] = row.conversions
    figure = _figure(7, 3.2)
    axes = figure.add_subplot()
    bottom = [0] * len(days)
    for journey_id, per_day in counts.items():
        values = [per_day.get(day, 0) for day in days]
        axes.bar(days, values, 0.8, bottom=bottom, label=journey_id)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xlim(first - timedelta(days=1), last + timedelta(days=1))
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=1, maxticks=10))
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("conversions")
    axes.set_title("conversions per day (UTC)")
    axes.legend(fontsize="small")
    figure.autofmt_xdate()
    return _png(figure)
