"""What happened, per journey: run summaries for the command line and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

RUN_SUMMARY_SQL = """
with in_range as (select ? as low, ? as high),
entered as (
    select journey_id, count(*) as n from enrollments, in_range
    where entered_at > low and entered_at <= high group by journey_id
),
sent as (
    select journey_id, count(*) as n from sends, in_range
    where run_at > low and run_at <= high group by journey_id
),
suppressed as (
    select journey_id, count(*) as n from suppressions, in_range
    where run_at > low and run_at <= high group by journey_id
),
ended as (
    select journey_id,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'exited') as exited
    from ended_enrollments, in_range
    where ended_at > low and ended_at <= high group by journey_id
),
journey_ids as (
    select journey_id from entered union select journey_id from sent
    union select journey_id from suppressed union select journey_id from ended
    union select journey_id from journey_runs, in_range where window_end > low and window_end <= high
)
select
    journey_ids.journey_id,
    coalesce(entered.n, 0) as entered,
    coalesce(sent.n, 0) as sent,
    coalesce(suppressed.n, 0) as suppressed,
    coalesce(ended.completed, 0) as completed,
    coalesce(ended.exited, 0) as exited
from journey_ids
left join entered using (journey_id)
left join sent using (journey_id)
left join suppressed using (journey_id)
left join ended using (journey_id)
order by journey_ids.journey_id
"""


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
    rows = con.execute(RUN_SUMMARY_SQL, [after, through]).fetchall()
    return [JourneyActivity(*row) for row in rows]
