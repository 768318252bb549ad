"""What happened, per journey: run summaries, the analysts' views and an HTML report.

`queries` reads them (the statements are the files of `sql/reports/`), `page` writes the HTML
page, `funnel` draws a journey's funnel as its step graph, `svg` the charts.
"""

from orgjourney_pipeline.reports.page import write_html
from orgjourney_pipeline.reports.queries import (
    DailyActivity,
    EdgeCount,
    FunnelStep,
    JourneyActivity,
    JourneyLift,
    JourneyReport,
    JourneySummary,
    JourneyVersion,
    Period,
    ReportDetail,
    SuppressionReason,
    Whereabouts,
    format_rate,
    journey_report,
    run_summary,
)

__all__ = [
    "DailyActivity",
    "EdgeCount",
    "FunnelStep",
    "JourneyActivity",
    "JourneyLift",
    "JourneyReport",
    "JourneySummary",
    "JourneyVersion",
    "Period",
    "ReportDetail",
    "SuppressionReason",
    "Whereabouts",
    "format_rate",
    "journey_report",
    "run_summary",
    "write_html",
]
