"""Journeys -> what one window needs: small data tables and the `compiled.*` relations.

Journeys are data: their steps, transitions and timings become rows of `run_journeys`,
`journey_steps`, `step_branches` and `step_updates`, so one statement advances every
enrollment of every journey. Only predicates are compiled per journey: entry levels and
triggers, exit filters, condition branches, wait_for matches and recipients, each a
`UNION ALL` of one `SELECT` per journey (or step) placed where the window's SQL files name
`compiled.<relation>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import sqlglot
from sqlglot import exp

from orgjourney_pipeline.journeys import model, schedule
from orgjourney_pipeline.journeys.filters import (
    Clock,
    FilterScope,
    compile_filter,
    where_properties,
)

#: Columns of each compiled relation, so an empty one still has the right shape.
RELATION_COLUMNS: dict[str, dict[str, str]] = {
    "entry_levels": {"journey_id": "varchar", "org_id": "varchar"},
    "entry_triggers": {"journey_id": "varchar", "org_id": "varchar", "date_value": "date"},
    "exit_matches": {"enrollment_id": "varchar"},
    "exit_blocked": {"journey_id": "varchar", "org_id": "varchar"},
    "condition_matches": {
        "enrollment_id": "varchar",
        "step_id": "varchar",
        "branch_no": "integer",
        "target_step_id": "varchar",
    },
    "wait_matches": {
        "journey_id": "varchar",
        "journey_version": "integer",
        "step_id": "varchar",
        "org_id": "varchar",
    },
    "conversion_activities": {
        "journey_id": "varchar",
        "journey_version": "integer",
        "org_id": "varchar",
        "event_id": "varchar",
        "contact_id": "varchar",
        "occurred_at": "timestamp",
        "within": "interval",
        "exits": "boolean",
    },
    "addressed_contacts": {
        "enrollment_id": "varchar",
        "journey_id": "varchar",
        "journey_version": "integer",
        "org_id": "varchar",
        "step_id": "varchar",
        "contact_id": "varchar",
        "email": "varchar",
        "phone": "varchar",
        "sms_opt_in": "boolean",
    },
}

ELSE_BRANCH = 1_000_000  # branch number of a condition's `else`: after every `if`


@dataclass(frozen=True)
class RunJourney:
    """A journey as this invocation runs it: its current definition and effective state."""

    journey: model.Journey | None  # None for a journey whose file is missing or invalid
    journey_id: str
    version: int
    state: str  # draft | published | paused | archived | stopped (file missing or invalid)
    unsubscribe_audience: str | None


@dataclass
class WindowJourneys:
    """Everything the window's SQL needs from the journeys."""

    tables: dict[str, pa.Table]
    relations: dict[str, exp.Query]


def compile_window(
    run_journeys: list[RunJourney],
    versions: Mapping[tuple[str, int], model.Journey],
    *,
    window_start: datetime,
    window_end: datetime,
    load_seq: int,
    org_fields: Mapping[str, str],
    contact_fields: Mapping[str, str],
) -> WindowJourneys:
    """Build the data tables and compiled relations of one window.

    `versions` holds every (journey id, version) whose steps may run: the current ones and
    those that active enrollments still follow.
    """
    published = [rj for rj in run_journeys if rj.state == "published" and rj.journey]
    published_ids = {rj.journey_id for rj in published}
    moving_versions = {key: j for key, j in versions.items() if key[0] in published_ids}

    def clock(journey: model.Journey) -> Clock:
        return Clock(window_end, schedule.local_today(window_end, journey.timezone), load_seq)

    def org_scope(journey: model.Journey, enrollment: str | None = None) -> FilterScope:
        return FilterScope("org", "o", dict(org_fields), clock(journey), enrollment)

    def contact_scope(journey: model.Journey) -> FilterScope:
        return FilterScope("contact", "c", dict(contact_fields), clock(journey))

    relations = {
        "entry_levels": _union(_entry_level(rj.journey, org_scope(rj.journey)) for rj in published),
        "entry_triggers": _union(
            _entry_trigger(rj.journey, org_scope(rj.journey), window_start, window_end)
            for rj in published
        ),
        "exit_matches": _union(
            _exit_matches(journey, org_scope(journey, "a")) for journey in moving_versions.values()
        ),
        "exit_blocked": _union(
            _exit_blocked(rj.journey, org_scope(rj.journey, "pending"), window_end)
            for rj in published
        ),
        "condition_matches": _union(
            query
            for journey in moving_versions.values()
            for query in _condition_matches(journey, org_scope(journey, "w"))
        ),
        "wait_matches": _union(
            query for journey in moving_versions.values() for query in _wait_matches(journey)
        ),
        "conversion_activities": _union(
            _conversion_activities(journey) for journey in versions.values()
        ),
        "addressed_contacts": _union(
            query
            for journey in moving_versions.values()
            for query in _addressed_contacts(journey, contact_scope(journey))
        ),
    }
    relations = {
        name: fuse_branches(query) if query is not None else _empty(RELATION_COLUMNS[name])
        for name, query in relations.items()
    }
    tables = {
        "run_journeys": _run_journeys_table(run_journeys),
        **_step_tables(versions.values(), window_end),
    }
    return WindowJourneys(tables, relations)


# -- data tables ------------------------------------------------------------------------------


def _run_journeys_table(run_journeys: list[RunJourney]) -> pa.Table:
    rows = [
        {
            "journey_id": rj.journey_id,
            "version": rj.version,
            "state": rj.state,
            "frequency": rj.journey.frequency if rj.journey else "once",
            "unsubscribe_audience": rj.unsubscribe_audience,
        }
        for rj in run_journeys
    ]
    schema = pa.schema(
        [
            ("journey_id", pa.string()),
            ("version", pa.int32()),
            ("state", pa.string()),
            ("frequency", pa.string()),
            ("unsubscribe_audience", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


STEP_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("step_id", pa.string()),
        ("position", pa.int32()),
        ("action", pa.string()),
        ("next_step_id", pa.string()),
        ("then_step_id", pa.string()),
        ("else_step_id", pa.string()),
        ("channel", pa.string()),
        ("template", pa.string()),
        ("unsubscribe_audience", pa.string()),
        ("wake_at", pa.timestamp("us")),
    ]
)
BRANCH_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("step_id", pa.string()),
        ("branch_no", pa.int32()),
        ("target_step_id", pa.string()),
        ("percent_low", pa.int32()),
        ("percent_high", pa.int32()),
    ]
)
UPDATE_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("journey_version", pa.int32()),
        ("step_id", pa.string()),
        ("kind", pa.string()),
        ("name", pa.string()),
        ("value", pa.string()),
        ("seq", pa.int32()),
    ]
)


def _step_tables(journeys: Iterable[model.Journey], window_end: datetime) -> dict[str, pa.Table]:
    steps, branches, updates = [], [], []
    for journey in journeys:
        ids = [step.id for step in journey.steps]
        for position, step in enumerate(journey.steps, 1):
            following = ids[position] if position < len(ids) else "end"
            row = {
                "journey_id": journey.id,
                "journey_version": journey.version,
                "step_id": step.id,
                "position": position,
                "action": model.step_action(step),
                "next_step_id": step.next or following,
                "then_step_id": None,
                "else_step_id": None,
                "channel": None,
                "template": None,
                "unsubscribe_audience": None,
                "wake_at": step_wake_at(step, journey.timezone, window_end),
            }
            if isinstance(step, model.SendEmail | model.SendSms):
                row["channel"] = "email" if isinstance(step, model.SendEmail) else "sms"
                row["template"] = step.template
                # The version's own setting: an enrollment stays on the version it entered.
                row["unsubscribe_audience"] = journey.unsubscribe
            elif isinstance(step, model.WaitFor):
                row["then_step_id"] = step.then or row["next_step_id"]
                row["else_step_id"] = step.else_ or row["next_step_id"]
            elif isinstance(step, model.Split):
                low = 0
                for branch_no, (percent, goto) in enumerate(step.branches, 1):
                    branches.append(
                        _branch(journey, step, branch_no, goto, low, low + int(percent))
                    )
                    low += int(percent)
            elif isinstance(step, model.TagOrg):
                seq = 0
                for kind, tags in (("tag_add", step.add), ("tag_remove", step.remove)):
                    for tag in tags:
                        seq += 1
                        updates.append(_update(journey, step, kind, str(tag).lower(), "", seq))
            elif isinstance(step, model.UpdateOrg):
                updates.append(_update(journey, step, "field", step.field, _text(step.value), 1))
            steps.append(row)
    return {
        "journey_steps": pa.Table.from_pylist(steps, schema=STEP_SCHEMA),
        "step_branches": pa.Table.from_pylist(branches, schema=BRANCH_SCHEMA),
        "step_updates": pa.Table.from_pylist(updates, schema=UPDATE_SCHEMA),
    }


def step_wake_at(step: model.Step, timezone: str, reached_at: datetime) -> datetime | None:
    """When a delay or wait_for reached at `reached_at` falls due (None for other steps)."""
    if isinstance(step, model.Delay):
        if step.until is not None:
            return schedule.next_local_time(
                reached_at, timezone, schedule.parse_clock(step.until), tuple(step.weekdays)
            )
        return schedule.add_duration(
            reached_at,
            timezone,
            minutes=step.minutes or 0,
            hours=step.hours or 0,
            days=step.days or 0,
        )
    if isinstance(step, model.WaitFor):
        timeout = step.timeout
        return schedule.add_duration(
            reached_at,
            timezone,
            minutes=timeout.minutes or 0,
            hours=timeout.hours or 0,
            days=timeout.days or 0,
        )
    return None


def _branch(journey, step, branch_no, goto, low, high) -> dict:
    return {
        "journey_id": journey.id,
        "journey_version": journey.version,
        "step_id": step.id,
        "branch_no": branch_no,
        "target_step_id": goto,
        "percent_low": low,
        "percent_high": high,
    }


def _update(journey, step, kind, name, value, seq) -> dict:
    return {
        "journey_id": journey.id,
        "journey_version": journey.version,
        "step_id": step.id,
        "kind": kind,
        "name": name,
        "value": value,
        "seq": seq,
    }


# -- compiled relations -----------------------------------------------------------------------


def _entry_level(journey: model.Journey, scope: FilterScope) -> exp.Query | None:
    """Organizations matching a filter/tags journey's entry condition now."""
    entry = journey.entry
    if entry.when == "filter":
        condition = compile_filter(entry.filter, scope)
    elif entry.when == "tags":
        tags = [model.TagCondition(tag=tag) for tag in entry.tags]
        combined = (
            model.AllOf(items=tuple(tags))
            if entry.match == "all"
            else model.AnyOf(items=tuple(tags))
        )
        condition = exp.and_(
            exp.paren(compile_filter(combined, scope)),
            exp.paren(compile_filter(entry.filter, scope)),
        )
    else:
        return None
    return (
        exp.select(_journey_literal(journey).as_("journey_id"), exp.column("org_id", "o"))
        .from_(exp.table_("organizations_at").as_("o"), copy=False)
        .where(condition, copy=False)
    )


def _entry_trigger(
    journey: model.Journey, scope: FilterScope, window_start: datetime, window_end: datetime
) -> exp.Query | None:
    """Organizations an activity, date or recurring trigger enters this window."""
    entry = journey.entry
    entry_filter = compile_filter(entry.filter, scope)
    journey_id = _journey_literal(journey).as_("journey_id")
    no_date = exp.cast(exp.Null(), exp.DataType.Type.DATE).as_("date_value")
    orgs = exp.table_("organizations_at").as_("o")
    if entry.when == "activity":
        conditions = [
            exp.column("is_trigger", "a"),
            exp.EQ(
                this=exp.column("activity_type", "a"), expression=exp.Literal.string(entry.activity)
            ),
            where_properties(entry.where or {}, exp.column("properties", "a")),
            entry_filter,
        ]
        entering = exp.select(journey_id, exp.column("org_id", "o"), no_date).distinct(copy=False)
        return (
            _from_window_activity(entering)
            .join(orgs, on=_equal("o", "org_id", "m", "org_id"), copy=False)
            .where(_all(conditions), copy=False)
        )
    if entry.when == "recurring":
        fires = schedule.recurring_fires(
            window_start,
            window_end,
            journey.timezone,
            entry.every,
            schedule.parse_clock(entry.at),
            tuple(entry.on or ()),
            entry.day,
        )
        if not fires:
            return None
        return (
            exp.select(journey_id, exp.column("org_id", "o"), no_date)
            .from_(orgs, copy=False)
            .where(entry_filter, copy=False)
        )
    if entry.when == "anniversary":
        days = schedule.anniversary_dates(
            window_start, window_end, journey.timezone, schedule.parse_clock(entry.at)
        )
        if not days:
            return None
        field_date = exp.cast(
            exp.column(exp.to_identifier(entry.field, quoted=True), "o"), exp.DataType.Type.DATE
        )
        matches = [_anniversary_on(field_date, day) for day in days]
        return (
            exp.select(journey_id, exp.column("org_id", "o"), no_date)
            .from_(orgs, copy=False)
            .where(_all([_any(matches), entry_filter]), copy=False)
        )
    if entry.when == "approaching_date":
        today = scope.clock.today
        field_date = exp.cast(
            exp.column(exp.to_identifier(entry.field, quoted=True), "o"), exp.DataType.Type.DATE
        )
        # date - N <= today <= date  <=>  today <= date <= today + N
        window = exp.Between(
            this=field_date.copy(),
            low=_date(today),
            high=_date(date.fromordinal(today.toordinal() + int(entry.days_before))),
        )
        fired = (
            exp.select(exp.Literal.number(1))
            .from_(exp.table_("date_entries").as_("d"), copy=False)
            .where(
                _all(
                    [
                        exp.EQ(
                            this=exp.column("journey_id", "d"), expression=_journey_literal(journey)
                        ),
                        exp.EQ(
                            this=exp.column("org_id", "d"), expression=exp.column("org_id", "o")
                        ),
                        exp.EQ(this=exp.column("date_value", "d"), expression=field_date.copy()),
                    ]
                ),
                copy=False,
            )
        )
        return (
            exp.select(journey_id, exp.column("org_id", "o"), field_date.copy().as_("date_value"))
            .from_(orgs, copy=False)
            .where(_all([window, exp.not_(exp.Exists(this=fired)), entry_filter]), copy=False)
        )
    return None


def _anniversary_on(field_date: exp.Expression, day: date) -> exp.Expression:
    """The field's month and day fall on `day`, in a year after its own (29 Feb -> 28 Feb)."""
    month = exp.func("month", field_date.copy())
    dom = exp.func("day", field_date.copy())
    year = exp.func("year", field_date.copy())
    same_day = _all(
        [
            exp.EQ(this=month, expression=exp.Literal.number(day.month)),
            exp.EQ(this=dom, expression=exp.Literal.number(day.day)),
        ]
    )
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        leap_day = _all(
            [
                exp.EQ(this=month.copy(), expression=exp.Literal.number(2)),
                exp.EQ(this=dom.copy(), expression=exp.Literal.number(29)),
            ]
        )
        same_day = _any([same_day, leap_day])
    return _all([same_day, exp.LT(this=year, expression=exp.Literal.number(day.year))])


def _exit_matches(journey: model.Journey, scope: FilterScope) -> exp.Query | None:
    """Active enrollments on this journey version whose exit filter matches now."""
    if journey.exit is None or journey.exit.filter is None:
        return None
    return (
        exp.select(exp.column("enrollment_id", "a"))
        .from_(exp.table_("active_enrollments").as_("a"), copy=False)
        .join(
            exp.table_("organizations_at").as_("o"),
            on=_equal("o", "org_id", "a", "org_id"),
            copy=False,
        )
        .where(
            _all(
                [
                    exp.EQ(
                        this=exp.column("journey_id", "a"), expression=_journey_literal(journey)
                    ),
                    exp.EQ(
                        this=exp.column("journey_version", "a"),
                        expression=exp.Literal.number(journey.version),
                    ),
                    compile_filter(journey.exit.filter, scope),
                ]
            ),
            copy=False,
        )
    )


def _exit_blocked(
    journey: model.Journey, scope: FilterScope, window_end: datetime
) -> exp.Query | None:
    """Entry candidates of this journey that match its exit filter now (they do not enter)."""
    if journey.exit is None or journey.exit.filter is None:
        return None
    pending = exp.select(
        exp.cast(
            exp.Literal.string(window_end.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP
        ).as_("entered_at")
    ).subquery("pending")
    return (
        exp.select(exp.column("journey_id", "c"), exp.column("org_id", "c"))
        .from_(exp.table_("entry_candidates").as_("c"), copy=False)
        .join(
            exp.table_("organizations_at").as_("o"),
            on=_equal("o", "org_id", "c", "org_id"),
            copy=False,
        )
        .join(pending, join_type="cross", copy=False)
        .where(
            _all(
                [
                    exp.EQ(
                        this=exp.column("journey_id", "c"), expression=_journey_literal(journey)
                    ),
                    compile_filter(journey.exit.filter, scope),
                ]
            ),
            copy=False,
        )
    )


def _at_step(alias: str, journey: model.Journey, step_id: str) -> list[exp.Expression]:
    return [
        exp.EQ(this=exp.column("journey_id", alias), expression=_journey_literal(journey)),
        exp.EQ(
            this=exp.column("journey_version", alias),
            expression=exp.Literal.number(journey.version),
        ),
        exp.EQ(this=exp.column("step_id", alias), expression=exp.Literal.string(step_id)),
    ]


def _condition_matches(journey: model.Journey, scope: FilterScope) -> list[exp.Query]:
    """For each condition step: the branches whose filter the enrollment's organization meets."""
    queries = []
    for step in journey.steps:
        if not isinstance(step, model.Condition):
            continue
        branches = [(number, f, goto) for number, (f, goto) in enumerate(step.branches, 1)]
        branches.append((ELSE_BRANCH, None, step.else_ or _following(journey, step)))
        for number, condition, goto in branches:
            queries.append(
                exp.select(
                    exp.column("enrollment_id", "w"),
                    exp.Literal.string(step.id).as_("step_id"),
                    exp.Literal.number(number).as_("branch_no"),
                    exp.Literal.string(goto).as_("target_step_id"),
                )
                .from_(exp.table_("walk").as_("w"), copy=False)
                .join(
                    exp.table_("organizations_live").as_("o"),
                    on=_equal("o", "org_id", "w", "org_id"),
                    copy=False,
                )
                .where(
                    _all(
                        [
                            *_at_step("w", journey, step.id),
                            exp.EQ(
                                this=exp.column("status", "w"),
                                expression=exp.Literal.string("active"),
                            ),
                            exp.column("may_act", "w"),
                            compile_filter(condition, scope),
                        ]
                    ),
                    copy=False,
                )
            )
    return queries


def _wait_matches(journey: model.Journey) -> list[exp.Query]:
    """For each wait_for step: organizations with a matching activity processed this window."""
    queries = []
    for step in journey.steps:
        if not isinstance(step, model.WaitFor):
            continue
        waiting_orgs = exp.select(
            _journey_literal(journey).as_("journey_id"),
            exp.Literal.number(journey.version).as_("journey_version"),
            exp.Literal.string(step.id).as_("step_id"),
            exp.column("org_id", "m"),
        ).distinct(copy=False)
        queries.append(
            _from_window_activity(waiting_orgs).where(
                _all(
                    [
                        exp.column("is_trigger", "a"),
                        exp.EQ(
                            this=exp.column("activity_type", "a"),
                            expression=exp.Literal.string(step.activity),
                        ),
                        where_properties(step.where or {}, exp.column("properties", "a")),
                    ]
                ),
                copy=False,
            )
        )
    return queries


def _conversion_activities(journey: model.Journey) -> exp.Query | None:
    """Attribution activities of organizations processed this window, for one journey version.

    Conversions are recorded whatever the journey's state, so every known version counts.
    """
    attribution = journey.attribution
    if attribution is None:
        return None
    within = exp.Interval(
        this=exp.Literal.string(str(float(attribution.within_days) * 86400)),
        unit=exp.var("SECOND"),
    )
    exits = journey.exit is not None and journey.exit.on_conversion
    activities = exp.select(
        _journey_literal(journey).as_("journey_id"),
        exp.Literal.number(journey.version).as_("journey_version"),
        exp.column("org_id", "m"),
        exp.column("event_id", "a"),
        exp.column("contact_id", "a"),
        exp.column("occurred_at", "a"),
        within.as_("within"),
        exp.Boolean(this=exits).as_("exits"),
    )
    return _from_window_activity(activities).where(
        _all(
            [
                exp.EQ(
                    this=exp.column("activity_type", "a"),
                    expression=exp.Literal.string(attribution.activity),
                ),
                where_properties(attribution.where or {}, exp.column("properties", "a")),
            ]
        ),
        copy=False,
    )


_INTENT_COLUMNS = ("enrollment_id", "journey_id", "journey_version", "org_id", "step_id")


def _addressed_contacts(journey: model.Journey, scope: FilterScope) -> list[exp.Query]:
    """For each send step: the members of the enrollment's organization its send_to keeps."""
    queries = []
    for step in journey.steps:
        if not isinstance(step, model.SendEmail | model.SendSms):
            continue
        send_to = step.send_to if step.send_to is not None else journey.send_to
        queries.append(
            exp.select(
                *(exp.column(name, "i") for name in _INTENT_COLUMNS),
                *(exp.column(name, "c") for name in ("contact_id", "email", "phone", "sms_opt_in")),
            )
            .from_(exp.table_("send_intents").as_("i"), copy=False)
            .join(
                exp.table_("memberships_at").as_("m"),
                on=_equal("m", "org_id", "i", "org_id"),
                copy=False,
            )
            .join(
                exp.table_("contacts_at").as_("c"),
                on=_equal("c", "contact_id", "m", "contact_id"),
                copy=False,
            )
            .where(
                _all([*_at_step("i", journey, step.id), compile_filter(send_to, scope)]), copy=False
            )
        )
    return queries


# -- one statement for all journeys -----------------------------------------------------------


def fuse_branches(query: exp.Query) -> exp.Query:
    """A `UNION ALL` of per-journey SELECTs over the same FROM, as one pass over that FROM.

    Branches that read the same tables (the same FROM and JOINs, DISTINCT alike) become

        select [distinct] case b when 1 then <branch 1's c1> when 2 then .. end as c1, ..
        from (
            select *, unnest(list_filter([case when <branch 1 where> then 1 end, ..],
                                         n -> n is not null)) as b
            from <the FROM> where <any branch's simple conditions on the first table>
        )

    (a column that every branch projects alike is projected once), so the views behind the
    FROM (organizations as of the run, memberships, contacts) are planned and scanned once
    per window, not once per journey or step. Each row yields the projections of every
    branch whose WHERE it meets, as the union did; the prefilter only repeats conditions that
    such rows meet anyway. Other branches are left as they are. A scalar subquery that several
    branches repeat (journeys counting the same activity over the same days, with different
    thresholds) is computed once per row of a FROM without joins (`_share_subqueries`).

    Example:
        >>> q = parse("select 'a' as j, x.k from x where x.t > 1 "
        ...           "union all select 'b' as j, x.k from x where x.t > 2")
        >>> "unnest" in fuse_branches(q).sql("duckdb").lower()
        True
    """
    branches = _union_branches(query)
    if branches is None or len(branches) < 2:
        return query
    groups: dict[tuple | None, list[exp.Select]] = {}
    for branch in branches:
        groups.setdefault(_source_key(branch), []).append(branch)
    parts = [
        _fused(group) if key and len(group) > 1 else member
        for key, group in groups.items()
        for member in ([group[0]] if key and len(group) > 1 else group)
    ]
    return _union(parts) or query


def _union_branches(query: exp.Expression) -> list[exp.Select] | None:
    """The SELECTs of a left-deep `UNION ALL` (None if it is anything else)."""
    if isinstance(query, exp.Select):
        return [query]
    if isinstance(query, exp.Union) and not query.args.get("distinct"):
        left = _union_branches(query.this)
        right = _union_branches(query.expression)
        if left is None or right is None:
            return None
        return left + right
    return None


_UNFUSABLE = ("group", "having", "order", "limit", "offset", "qualify", "with", "windows")


def _source_key(branch: exp.Select) -> tuple | None:
    """What a branch reads (structurally comparable), or None when it cannot be fused."""
    if any(branch.args.get(arg) for arg in _UNFUSABLE) or _from(branch) is None:
        return None
    for projection in branch.expressions:
        for node in projection.walk():
            if isinstance(node, exp.Window | exp.AggFunc | exp.Query | exp.Star):
                return None
            if isinstance(node, exp.Column) and not node.table:
                return None
    joins = tuple(branch.args.get("joins") or ())
    return (bool(branch.args.get("distinct")), _from(branch), joins)


def _fused(group: list[exp.Select]) -> exp.Select:
    first = group[0]
    names = [projection.alias_or_name for projection in first.expressions]
    values = [
        [(p.this if isinstance(p, exp.Alias) else p) for p in branch.expressions]
        for branch in group
    ]
    keyed = _keyed(group, names, values)
    if keyed is not None:
        return keyed
    numbers, prefilters = [], []
    for number, branch in enumerate(group, 1):
        where = branch.args.get("where")
        condition = where.this if where else exp.true()  # the branches are not used again
        numbers.append(exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(number))]))
        prefilters.append(_simple_conjuncts(condition, _driving_alias(first)))
    matching = exp.Anonymous(
        this="list_filter",
        expressions=[
            exp.Array(expressions=numbers),
            exp.Lambda(
                this=exp.column("_n").is_(exp.Null()).not_(),
                expressions=[exp.to_identifier("_n")],
            ),
        ],
    )
    inner = exp.Select(
        expressions=[
            *[
                exp.Alias(
                    this=column.copy(), alias=exp.to_identifier(_inner_name(column), quoted=True)
                )
                for column in {
                    (c.table, c.name): c
                    for row in values
                    for value in row
                    for c in value.find_all(exp.Column)
                    if c.table
                }.values()
            ],
            exp.Unnest(expressions=[matching]).as_("_branch"),
        ]
    )
    inner.set("from_" if "from_" in first.args else "from", _from(first))
    inner.set("joins", list(first.args.get("joins") or []))
    if not inner.args["joins"]:
        _share_subqueries(inner)
    if all(prefilters):
        either = exp.or_(
            *[exp.paren(exp.and_(*parts, copy=False), copy=False) for parts in prefilters],
            copy=False,
        )
        inner.set("where", exp.Where(this=either))
    columns = []
    for index, name in enumerate(names):
        if all(row[index] == values[0][index] for row in values[1:]):
            value = _unqualified(values[0][index])
        else:
            value = exp.Case(
                this=exp.column("_branch"),
                ifs=[
                    exp.If(this=exp.Literal.number(number), true=_unqualified(row[index]))
                    for number, row in enumerate(values, 1)
                ],
            )
        columns.append(exp.Alias(this=value, alias=exp.to_identifier(name)))
    outer = exp.Select(expressions=columns)
    outer.set(
        "from_" if "from_" in first.args else "from",
        exp.From(
            this=exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_fused")))
        ),
    )
    return outer.distinct(copy=False) if first.args.get("distinct") else outer


def _keyed(
    group: list[exp.Select], names: list[str], values: list[list[exp.Expression]]
) -> exp.Select | None:
    """The fused form for branches told apart by `t.column = literal` conditions on the first
    table (journey, version and step; an activity type): a hash join of that table with the
    branches' keys picks each row's branches, so a row meets only its own branches' WHEREs:

        select case _keys._branch when 1 then <branch 1's c1> .. end as c1, ..
        from t join (values (<literals>, 1), ..) as _keys(.., _branch) on t.k = _keys.k ..
        <the other joins>
        where case _keys._branch when 1 then <branch 1's where> .. end

    None when the branches share no such column.
    """
    first = group[0]
    alias = _driving_alias(first)
    conditions = [b.args["where"].this if b.args.get("where") else exp.true() for b in group]
    keys = [_literal_keys(condition, alias) for condition in conditions]
    shared = [name for name in keys[0] if all(name in k for k in keys[1:])]
    if not alias or not shared:
        return None
    rows = [
        exp.Tuple(expressions=[*(k[name].copy() for name in shared), exp.Literal.number(n)])
        for n, k in enumerate(keys, 1)
    ]
    key_columns = [exp.to_identifier(f"_key_{name}") for name in shared]
    table = exp.Subquery(
        this=exp.Values(expressions=rows),
        alias=exp.TableAlias(
            this=exp.to_identifier("_keys"), columns=[*key_columns, exp.to_identifier("_branch")]
        ),
    )
    on = exp.and_(
        *[
            exp.EQ(this=exp.column(name, alias), expression=exp.column(column.copy(), "_keys"))
            for name, column in zip(shared, key_columns, strict=True)
        ],
        copy=False,
    )
    branch = exp.column("_branch", "_keys")
    columns = []
    for index, name in enumerate(names):
        if all(row[index] == values[0][index] for row in values[1:]):
            value = values[0][index]
        else:
            value = exp.Case(
                this=branch.copy(),
                ifs=[
                    exp.If(this=exp.Literal.number(n), true=row[index])
                    for n, row in enumerate(values, 1)
                ],
            )
        columns.append(exp.Alias(this=value, alias=exp.to_identifier(name)))
    fused = exp.Select(expressions=columns)
    fused.set("from_" if "from_" in first.args else "from", _from(first))
    fused.set("joins", [exp.Join(this=table, on=on), *(first.args.get("joins") or [])])
    which = exp.Case(
        this=branch.copy(),
        ifs=[exp.If(this=exp.Literal.number(n), true=c) for n, c in enumerate(conditions, 1)],
    )
    fused.set("where", exp.Where(this=which))
    return fused.distinct(copy=False) if first.args.get("distinct") else fused


def _literal_keys(condition: exp.Expression, alias: str) -> dict[str, exp.Literal]:
    """`alias.column = literal` parts of a condition's top-level AND, by column name."""
    keys: dict[str, exp.Literal] = {}
    for part in _simple_conjuncts(condition, alias):
        if isinstance(part, exp.EQ):
            column, literal = part.this, part.expression
            if isinstance(column, exp.Literal):
                column, literal = literal, column
            if isinstance(column, exp.Column) and isinstance(literal, exp.Literal):
                keys.setdefault(column.name, literal)
    return keys


def _unqualified(value: exp.Expression) -> exp.Expression:
    """A projection over the fused subquery: `t.c` becomes the inner column's name."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table:
            return exp.column(exp.to_identifier(_inner_name(node), quoted=True))
        return node

    return value.transform(rename, copy=False)


# Where a subquery is a set or a test, not a value that a column can stand for.
_NOT_A_VALUE = (exp.In, exp.Exists, exp.Any, exp.All, exp.Unnest, exp.Lateral)


def _share_subqueries(inner: exp.Select) -> None:
    """Compute once each scalar subquery that the projections repeat, as a column of the FROM.

    `from t as o` becomes `from (select o.*, (<subquery>) as _shared_1 from t as o) as o` and
    every copy of the subquery `o._shared_1`: DuckDB then decorrelates and joins it once,
    where it may otherwise plan every copy apart (seen with the entry filters' 7-day counts,
    five copies: 2.4 times slower over 4x the history). `inner` is changed in place.

    Example:
        >>> counted = "(select count(*) from e where e.k = o.k)"
        >>> q = parse(f"select 'a' as j, o.k from x as o where {counted} > 1 "
        ...           f"union all select 'b' as j, o.k from x as o where {counted} > 2")
        >>> fuse_branches(q).sql("duckdb").lower().count("count(*)")
        1
    """
    table = _from(inner).this
    if not isinstance(table, exp.Table) or not table.alias:
        return
    copies: dict[str, list[exp.Subquery]] = {}
    for projection in inner.expressions:
        for subquery in projection.find_all(exp.Subquery):
            if not isinstance(subquery.parent, _NOT_A_VALUE) and _outermost(subquery, projection):
                copies.setdefault(subquery.sql("duckdb"), []).append(subquery)
    shared = []
    for repeated in (group for group in copies.values() if len(group) > 1):
        name = f"_shared_{len(shared) + 1}"
        shared.append(exp.Alias(this=repeated[0].copy(), alias=exp.to_identifier(name)))
        for subquery in repeated:
            subquery.replace(exp.column(name, table.alias))
    if shared:
        source = exp.Select(
            expressions=[exp.Column(this=exp.Star(), table=exp.to_identifier(table.alias)), *shared]
        ).from_(table.copy(), copy=False)
        _from(inner).set(
            "this",
            exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier(table.alias))),
        )


def _outermost(subquery: exp.Subquery, within: exp.Expression) -> bool:
    """Whether no other subquery of `within` encloses `subquery`."""
    node = subquery.parent
    while node is not None and node is not within.parent:
        if isinstance(node, exp.Subquery | exp.Query):
            return False
        node = node.parent
    return True


def _inner_name(column: exp.Column) -> str:
    return f"{column.table}__{column.name}"


def _from(branch: exp.Select) -> exp.From | None:
    return branch.args.get("from_") or branch.args.get("from")


def _driving_alias(branch: exp.Select) -> str:
    table = _from(branch).this
    return table.alias_or_name if isinstance(table, exp.Table) else ""


def _simple_conjuncts(condition: exp.Expression, alias: str) -> list[exp.Expression]:
    """The top-level AND parts of a condition that read only the first table's columns."""
    parts, stack = [], [condition]
    while stack:
        node = stack.pop()
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.And):
            stack.extend([node.this, node.expression])
            continue
        columns = list(node.find_all(exp.Column))
        if (
            alias
            and columns
            and all(column.table == alias for column in columns)
            and not any(isinstance(n, exp.Subquery | exp.Exists | exp.Query) for n in node.walk())
        ):
            parts.append(node.copy())
    return parts


# -- helpers ----------------------------------------------------------------------------------


def _following(journey: model.Journey, step: model.Step) -> str:
    """Where a step goes by default: its `next`, else the next step in the list, else end."""
    if step.next:
        return step.next
    ids = [s.id for s in journey.steps]
    index = ids.index(step.id)
    return ids[index + 1] if index + 1 < len(ids) else "end"


def _union(queries: Iterable[exp.Query | None]) -> exp.Query | None:
    """`UNION ALL` of the queries (None for none); the queries are fresh, so not copied."""
    present = [query for query in queries if query is not None]
    if len(present) <= 1:
        return present[0] if present else None
    return exp.union(*present, distinct=False, copy=False)


def _empty(columns: Mapping[str, str]) -> exp.Query:
    selects = [
        exp.cast(exp.Null(), exp.DataType.build(kind)).as_(name) for name, kind in columns.items()
    ]
    return exp.select(*selects).where(exp.false(), copy=False)


def _journey_literal(journey: model.Journey) -> exp.Literal:
    return exp.Literal.string(journey.id)


# The compiled queries are built from fresh nodes, each placed once, so the builders need not
# copy them (sqlglot's builders copy by default, the most of a window's Python time). A node
# used twice in one query is copied where it is used.


def _all(parts: list[exp.Expression]) -> exp.Expression:
    parts = [part for part in parts if part is not None]
    if not parts:
        return exp.true()
    return exp.and_(*[exp.paren(part, copy=False) for part in parts], copy=False)


def _any(parts: list[exp.Expression]) -> exp.Expression:
    if not parts:
        return exp.false()
    return exp.or_(*[exp.paren(part, copy=False) for part in parts], copy=False)


def _from_window_activity(query: exp.Select) -> exp.Select:
    """`query` over the window's activities (`a`) and their contacts' memberships (`m`)."""
    return query.from_(exp.table_("window_activities").as_("a"), copy=False).join(
        exp.table_("memberships_at").as_("m"),
        on=_equal("m", "contact_id", "a", "contact_id"),
        copy=False,
    )


def _equal(left: str, left_column: str, right: str, right_column: str) -> exp.EQ:
    """`left.left_column = right.right_column`, built (a join's ON without parsing text)."""
    return exp.EQ(this=exp.column(left_column, left), expression=exp.column(right_column, right))


def _date(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse(sql: str) -> exp.Query:
    """Parse a DuckDB SELECT (for the few relations written as text templates)."""
    return sqlglot.parse_one(sql, read="duckdb")


# -- the organization overlay -----------------------------------------------------------------

_OVERLAY_TEMPLATE = """
with snapshot_in_effect as (
    select coalesce(max(snapshot_at), cast('0001-01-01' as timestamp)) as snapshot_at
    from snapshot_files
    where kind = 'organizations' and snapshot_at <= {window_end}
),
last_changes as (
    select org_id, kind, name, value
    from (
        select
            u.org_id, u.kind, u.name, u.value,
            row_number() over (
                partition by u.org_id, u.kind = 'field', u.name
                order by u.run_at desc, u.step_seq desc, u.enrollment_id desc, u.seq desc
            ) as recency
        from org_updates as u
        cross join snapshot_in_effect as s
        where u.run_at >= s.snapshot_at and u.run_at <= {window_end}
    ) as ranked
    where recency = 1
),
field_values as (
    select org_id from last_changes where kind = 'field' group by org_id
),
tag_changes as (
    select org_id, name as tag, kind from last_changes where kind in ('tag_add', 'tag_remove')
),
kept_tags as (
    select snapshot_tags.org_id, snapshot_tags.tag
    from (
        select o.org_id, unnest(o.tags) as tag
        from org_snapshot_at as o
        where o.org_id in (select org_id from tag_changes)
    ) as snapshot_tags
    where not exists (
        select 1 from tag_changes as c
        where c.org_id = snapshot_tags.org_id and c.tag = snapshot_tags.tag and c.kind = 'tag_remove'
    )
    union all
    select org_id, tag from tag_changes where kind = 'tag_add'
),
tag_lists as (
    select changed.org_id, list_sort(coalesce(list(distinct kept_tags.tag), [])) as tags
    from (select distinct org_id from tag_changes) as changed
    left join kept_tags on kept_tags.org_id = changed.org_id
    group by changed.org_id
)
select o.org_id
from org_snapshot_at as o
left join field_values as fv on fv.org_id = o.org_id
left join tag_lists as tl on tl.org_id = o.org_id
"""

_SQL_TYPES = {
    "number": exp.DataType.Type.DOUBLE,
    "date": exp.DataType.Type.DATE,
    "timestamp": exp.DataType.Type.TIMESTAMP,
    "bool": exp.DataType.Type.BOOLEAN,
}


def organizations_at(
    snapshot_columns: list[str],
    field_types: Mapping[str, str],
    updated_fields: Iterable[str],
    window_end: datetime,
) -> exp.Query:
    """Organizations as journeys see them: the snapshot with later step updates laid over it.

    `snapshot_columns` are the columns of `org_snapshot_at`; `updated_fields` every field
    that steps may have set (an unknown one becomes a new text column).
    """
    end = exp.cast(exp.Literal.string(window_end.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    query = sqlglot.parse_one(_OVERLAY_TEMPLATE.format(window_end=end.sql("duckdb")), read="duckdb")
    updated = sorted(set(updated_fields))
    field_values = next(cte.this for cte in query.find_all(exp.CTE) if cte.alias == "field_values")
    for field_name in updated:
        pick = exp.Max(
            this=exp.If(
                this=exp.EQ(this=exp.column("name"), expression=exp.Literal.string(field_name)),
                true=exp.column("value"),
            )
        )
        field_values.select(pick.as_(exp.to_identifier(field_name, quoted=True)), copy=False)

    columns = []
    for column in snapshot_columns:
        ident = exp.to_identifier(column, quoted=True)
        if column == "org_id":
            continue
        if column == "tags":
            value = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.column("org_id", "tl").is_(exp.Null()).not_(),
                        true=exp.column("tags", "tl"),
                    )
                ],
                default=exp.column("tags", "o"),
            )
        elif column in updated:
            value = exp.Coalesce(
                this=_typed(exp.column(ident.copy(), "fv"), field_types.get(column, "text")),
                expressions=[exp.column(ident.copy(), "o")],
            )
        else:
            value = exp.column(ident.copy(), "o")
        columns.append(value.as_(ident))
    for field_name in updated:
        if field_name not in snapshot_columns:
            ident = exp.to_identifier(field_name, quoted=True)
            columns.append(exp.column(ident.copy(), "fv").as_(ident))
    query.select(*columns, copy=False)
    return query


def _typed(value: exp.Expression, field_type: str) -> exp.Expression:
    if field_type in _SQL_TYPES:
        return exp.TryCast(this=value, to=exp.DataType.build(_SQL_TYPES[field_type]))
    return value
