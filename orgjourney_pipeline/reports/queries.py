"""What the reports read: run summaries, the analysts' views and the page's counts.

The statements are the files of `sql/reports/`; a report of one journey narrows them with a
sqlglot condition (`contract.narrowed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from orgjourney_pipeline import contract, journeys, sqlfiles
from orgjourney_pipeline.journeys.delivery import HELD


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


# -- the analysts' views: journey_summary, journey_funnel and journey_lift ------------------------


@dataclass(frozen=True)
class JourneySummary:
    """One row of `journey_summary` (a journey's enrollments by status and its conversions)
    and the version it last ran with (else its newest)."""

    journey_id: str
    name: str | None
    state: str
    entered: int
    active: int
    completed: int
    exited: int
    converted: int
    conversion_rate: float | None
    version: int | None = None


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


# -- what only the HTML page shows ------------------------------------------------------------


@dataclass(frozen=True)
class DailyActivity:
    """One journey on one UTC day: entries, messages sent and conversions."""

    journey_id: str
    day: date
    entered: int
    sent: int
    converted: int


@dataclass(frozen=True)
class SuppressionReason:
    """How many of one journey's messages one reason kept from being sent."""

    journey_id: str
    reason: str
    suppressed: int


@dataclass(frozen=True)
class EdgeCount:
    """How many times enrollments of a journey version went from one step to another
    (`from_step` None: from the entry; `to_step` 'end': the enrollment completed)."""

    journey_id: str
    journey_version: int
    from_step: str | None
    to_step: str
    traversals: int


@dataclass(frozen=True)
class Whereabouts:
    """Enrollments of a journey version still active at a step, or that exited there (by
    reason); `step_id` None with reason 'holdout': the version's holdout."""

    journey_id: str
    journey_version: int
    step_id: str | None
    status: str
    end_reason: str
    enrollments: int


@dataclass(frozen=True)
class JourneyVersion:
    """A registered journey version, read back from its stored definition, and the hourly
    windows it ran in while published."""

    journey: journeys.Journey
    windows: int
    first_window_end: datetime | None
    last_window_end: datetime | None


@dataclass(frozen=True)
class Period:
    """The hourly windows processed: how many, the first one's start, the last one's end."""

    windows: int
    first_start: datetime | None
    last_end: datetime | None


@dataclass(frozen=True)
class ReportDetail:
    """What the HTML page adds to the views: activity per day, suppression reasons, and the
    journeys' graphs with what went along each edge and where enrollments are."""

    period: Period
    daily: list[DailyActivity]
    suppressions: list[SuppressionReason]
    versions: list[JourneyVersion]
    edges: list[EdgeCount]
    whereabouts: list[Whereabouts]


@dataclass(frozen=True)
class JourneyReport:
    """What `orgjourney report` shows: the summary, the funnels and the lift of the journeys
    with a holdout; for the HTML page, the detail."""

    summary: list[JourneySummary]
    funnel: list[FunnelStep]
    lift: list[JourneyLift] = field(default_factory=list)
    detail: ReportDetail | None = None

    @property
    def journey_ids(self) -> list[str]:
        return [row.journey_id for row in self.summary]


def journey_report(
    con: duckdb.DuckDBPyConnection, journey_id: str | None = None, *, detail: bool = False
) -> JourneyReport:
    """Read `journey_summary`, `journey_funnel` and `journey_lift` (all journeys, or one);
    with `detail`, also what the HTML page draws."""

    def rows(name: str, **params: object) -> list[tuple]:
        statement = contract.narrowed(
            sqlfiles.load(f"reports/{name}.sql").bind(**params), journey_id=journey_id
        )
        return con.execute(statement.sql(dialect="duckdb")).fetchall()

    page = None
    if detail:
        page = ReportDetail(
            Period(*con.execute(sqlfiles.load("reports/report_period.sql").sql()).fetchone()),
            [DailyActivity(*row) for row in rows("daily_activity")],
            [SuppressionReason(*row) for row in rows("suppression_reasons")],
            [
                JourneyVersion(journeys.journey_from_definition(json.loads(definition)), *rest)
                for _, _, definition, *rest in rows("journey_versions")
            ],
            [EdgeCount(*row) for row in rows("journey_edges", held=HELD)],
            [Whereabouts(*row) for row in rows("journey_whereabouts")],
        )
    return JourneyReport(
        [JourneySummary(*row) for row in rows("journey_summary")],
        [FunnelStep(*row) for row in rows("journey_funnel")],
        [JourneyLift(*row) for row in rows("journey_lift")],
        page,
    )


def format_rate(rate: float | None) -> str:
    """A conversion rate as a percentage ('-' when nothing entered)."""
    return "-" if rate is None else f"{rate:.1%}"
