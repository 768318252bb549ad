"""The tables and views analysts read (SPEC section 4), and how readers narrow them.

`TIME_COLUMNS` names each contract table's time column: the one that `export --since` and
the Python API's `since` bound, inclusively (None: the table has none). `narrowed` adds the
journey and since conditions to a statement as sqlglot expressions, values as literals.
`WINDOW_COLUMNS` names the column stamped with the end of the window that wrote a row
(SPEC section 2), by which `window_row_counts` counts a range of windows' rows;
`descriptions` are the tables' comments (`sql/comments/`), read from the files, so a shell
can show them without opening a warehouse.

Example:
    >>> from datetime import datetime
    >>> from sqlglot import exp
    >>> statement = exp.select("*").from_("sends")
    >>> narrowed(statement, journey_id="welcome", since=datetime(2026, 1, 5),
    ...          time_column="run_at").sql("duckdb")
    "SELECT * FROM sends WHERE journey_id = 'welcome' AND run_at >= CAST('2026-01-05 00:00:00' AS TIMESTAMP)"
"""

from __future__ import annotations

from datetime import datetime

import duckdb
from sqlglot import exp

from orgjourney_pipeline import sqlfiles, warehouse
from orgjourney_pipeline.sqlfiles import literal

TIME_COLUMNS: dict[str, str | None] = {
    "organizations": None,
    "contacts": None,
    "memberships": None,
    "subscriptions": None,
    "activities": "occurred_at",
    "org_activity": None,
    "journeys": None,
    "enrollments": "entered_at",
    "enrollment_steps": "reached_at",
    "sends": "run_at",
    "suppressions": "run_at",
    "unsubscribes": "unsubscribed_at",
    "org_updates": "run_at",
    "conversions": "converted_at",
    "runs": "window_end",
    "rejected_rows": "rejected_at",
    "journey_funnel": None,
    "journey_summary": None,
    "journey_lift": None,
}

# The column of each table that the windows write, stamped with the writing window's end:
# a window's rows are those whose column equals its end. The other tables are state that
# every window may change (org_activity, journeys) or inputs.
WINDOW_COLUMNS: dict[str, str] = {
    "enrollments": "entered_at",
    "enrollment_steps": "reached_at",
    "sends": "run_at",
    "suppressions": "run_at",
    "unsubscribes": "run_at",
    "org_updates": "run_at",
    "conversions": "run_at",
    "runs": "window_end",
}


def narrowed(
    statement: exp.Select,
    *,
    journey_id: str | None = None,
    since: datetime | None = None,
    time_column: str | None = None,
) -> exp.Select:
    """`statement` (a new tree) keeping only one journey's rows and those at or after `since`."""
    conditions = []
    if journey_id is not None:
        conditions.append(exp.column("journey_id").eq(literal(journey_id)))
    if since is not None:
        if time_column is None:
            raise ValueError("a since bound needs the table's time column")
        conditions.append(exp.column(time_column) >= literal(since))
    return statement.where(*conditions) if conditions else statement.copy()


def journey_known(con, journey_id: str) -> bool:
    """Whether the warehouse ever registered `journey_id` (readers refuse an unknown one)."""
    known = sqlfiles.load("api/journey_known.sql").sql(journey_id=journey_id)
    [(is_known,)] = con.execute(known).fetchall()
    return bool(is_known)


def descriptions() -> dict[str, str]:
    """What one row of each commented table or view is: its `sql/comments/` comment."""
    found = {}
    for path in warehouse.comment_files():
        statement = sqlfiles.load(path).statement
        found[statement.this.name] = statement.expression.name
    return found


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The rows of a table or view."""
    statement = sqlfiles.load("contract/table_row_count.sql")
    [(rows,)] = con.execute(statement.sql(relation=exp.to_table(table))).fetchall()
    return int(rows)


def window_row_counts(
    con: duckdb.DuckDBPyConnection, table: str, since: datetime, until: datetime
) -> dict[datetime, int]:
    """Window end -> the rows of `table` that window wrote, for the windows ending in
    (`since`, `until`]; windows that wrote none are left out. `table` is one of
    `WINDOW_COLUMNS`."""
    statement = sqlfiles.load("contract/window_row_counts.sql").sql(
        relation=exp.to_table(table),
        window_column=exp.column(WINDOW_COLUMNS[table]),
        since=since,
        until=until,
    )
    return {window_end: int(rows) for window_end, rows in con.execute(statement).fetchall()}
