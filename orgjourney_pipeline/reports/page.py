"""`report --html`: one self-contained page that tells a manager what happened.

At the top the period covered (the hourly windows processed) and when the page was made; the
summary of every journey and the lift of those with a holdout; then a section per journey:
its name, state and version, entries, sends and conversions per day (a line chart), the
reasons messages were suppressed (bars), and per version the funnel drawn as the journey's
graph with a count on every edge, and its table. A journey that never ran, or that nothing
went through, is said to be so in words: no empty chart. Charts are inline SVG (`svg`), so
the page loads nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

from orgjourney_pipeline.reports.funnel import funnel_graph, funnel_svg
from orgjourney_pipeline.reports.queries import (
    FunnelStep,
    JourneyLift,
    JourneyReport,
    JourneySummary,
    Period,
    ReportDetail,
    format_rate,
)
from orgjourney_pipeline.reports.svg import Series, bar_chart, line_chart

SERIES = (("entered", "#4c72b0"), ("sent", "#dd8452"), ("converted", "#55a868"))


def write_html(
    report: JourneyReport,
    path: Path,
    *,
    made_at: datetime,
    title: str = "orgjourney report",
) -> Path:
    """Write the page of `report` (read with `journey_report(..., detail=True)`) to `path`;
    `made_at`: when it was made (naive UTC, as the warehouse's instants)."""
    detail = report.detail
    if detail is None:
        raise ValueError("the HTML page needs the report's detail: journey_report(detail=True)")
    sections = [
        f"<h1>{escape(title)}</h1>",
        _period_html(detail.period, made_at),
        "<h2>Summary</h2>",
        _summary_table_html(report.summary),
        "<h2>Lift (holdouts)</h2>",
        _lift_table_html(report.lift) if report.lift else "<p>No journey has a holdout yet.</p>",
        "<h2>Journeys</h2>",
    ]
    days = _days(detail)
    sections += [_journey_html(report, detail, summary, days) for summary in report.summary]
    if not report.summary:
        sections.append("<p>No journey has been registered yet: no window has run.</p>")
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
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222;
       padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
section.journey {{ border-top: 2px solid #4c72b0; margin-top: 2rem; }}
p.meta, p.note {{ color: #555; }}
figure {{ margin: 0.5rem 0 1rem; overflow-x: auto; }}
svg.chart {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def when(instant: datetime | None) -> str:
    return "-" if instant is None else f"{instant:%Y-%m-%d %H:%M} UTC"


def _period_html(period: Period, made_at: datetime) -> str:
    made = f"made {when(made_at)}"
    if not period.windows:
        return (
            f'<p class="meta">Period covered: none, no window has been processed yet; {made}.</p>'
        )
    return (
        f'<p class="meta">Period covered: {when(period.first_start)} to {when(period.last_end)} '
        f"({period.windows} hourly window(s) processed); {made}.</p>"
    )


def _days(detail: ReportDetail) -> list[date]:
    """Every UTC day from the period's first to its last (and any day with activity)."""
    known = [row.day for row in detail.daily]
    if detail.period.windows:
        known += [detail.period.first_start.date(), detail.period.last_end.date()]
    if not known:
        return []
    first, last = min(known), max(known)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _journey_html(
    report: JourneyReport, detail: ReportDetail, summary: JourneySummary, days: list[date]
) -> str:
    journey_id = summary.journey_id
    versions = [v for v in detail.versions if v.journey.id == journey_id]
    version = "-" if summary.version is None else str(summary.version)
    parts = [
        f'<section class="journey" id="journey-{escape(journey_id)}">',
        f"<h3>{escape(summary.name or journey_id)} <small>({escape(journey_id)})</small></h3>",
        f"<p>State: <b>{escape(summary.state)}</b>; version <b>{version}</b>.</p>",
    ]
    windows = sum(v.windows for v in versions)
    if not windows and not summary.entered:
        parts.append(
            f'<p class="note">This journey has never run ({escape(summary.state)}): '
            "nothing entered it, no message was sent, so there is nothing to chart.</p>"
        )
        return "\n".join([*parts, "</section>"])
    ran = [v.first_window_end for v in versions if v.first_window_end]
    last = [v.last_window_end for v in versions if v.last_window_end]
    if windows:
        parts.append(
            f"<p>Ran in {windows} hourly window(s), the first ending {when(min(ran))}, the "
            f"last {when(max(last))}: {summary.entered} entered, {summary.converted} converted "
            f"({format_rate(summary.conversion_rate)}).</p>"
        )
    parts += _activity_html(detail, journey_id, days)
    parts += _suppressions_html(detail, journey_id)
    parts += _funnels_html(report, detail, journey_id)
    return "\n".join([*parts, "</section>"])


def _activity_html(detail: ReportDetail, journey_id: str, days: list[date]) -> list[str]:
    rows = {row.day: row for row in detail.daily if row.journey_id == journey_id}
    parts = ["<h4>Entries, sends and conversions per day (UTC)</h4>"]
    if not rows:
        return [*parts, '<p class="note">No organization has entered it yet.</p>']
    series = [
        Series(name, color, [getattr(rows[day], name) if day in rows else 0 for day in days])
        for name, color in SERIES
    ]
    chart = line_chart(days, series, f"entries, sends and conversions per day: {journey_id}")
    return [*parts, f"<figure>{chart}</figure>"]


def _suppressions_html(detail: ReportDetail, journey_id: str) -> list[str]:
    reasons = [(r.reason, r.suppressed) for r in detail.suppressions if r.journey_id == journey_id]
    parts = ["<h4>Messages suppressed, by reason</h4>"]
    if not reasons:
        return [*parts, '<p class="note">No message was suppressed.</p>']
    chart = bar_chart(reasons, f"messages suppressed by reason: {journey_id}")
    return [*parts, f"<figure>{chart}</figure>"]


def _funnels_html(report: JourneyReport, detail: ReportDetail, journey_id: str) -> list[str]:
    parts = []
    for version in (v for v in detail.versions if v.journey.id == journey_id):
        number = version.journey.version

        def this(rows, number=number):
            return [r for r in rows if r.journey_id == journey_id and r.journey_version == number]

        steps, edges = this(report.funnel), this(detail.edges)
        parts.append(f"<h4>Funnel of version {number}</h4>")
        if not edges and not this(detail.whereabouts):
            parts.append(f'<p class="note">Nothing has entered version {number}.</p>')
            continue
        graph = funnel_graph(version, steps, edges, this(detail.whereabouts))
        parts += [f"<figure>{funnel_svg(graph)}</figure>", _funnel_table_html(steps)]
    return parts


def _summary_table_html(rows: list[JourneySummary]) -> str:
    names = ("journey", "name", "state", "version", "entered", "active", "completed", "exited")
    head = "".join(f"<th>{name}</th>" for name in (*names, "converted", "conversion rate"))
    body = "".join(
        f'<tr><td><a href="#journey-{escape(r.journey_id)}">{escape(r.journey_id)}</a></td>'
        + f"<td>{escape(r.name or '')}</td><td>{escape(r.state)}</td>"
        + "".join(
            f'<td class="n">{"-" if value is None else value}</td>'
            for value in (r.version, r.entered, r.active, r.completed, r.exited, r.converted)
        )
        + f'<td class="n">{format_rate(r.conversion_rate)}</td></tr>'
        for r in rows
    )
    return f'<table class="summary"><tr>{head}</tr>{body}</table>'


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
    return f'<table class="lift"><tr>{head}</tr>{body}</table>'


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
    return f'<table class="funnel"><tr>{head}</tr>{body}</table>'
