"""Journeys -> what one window needs: small data tables and the `compiled.*` relations.

Journeys are data (`tables`): one statement advances every enrollment of every journey.
Only predicates are compiled: each journey's entry kind, exit, attribution and steps
contribute their parts of the window's relations — entry levels and triggers, exit matches,
branch choices, wait_for matches, addressed contacts, conversion activities — each part a
SELECT from a template of `sql/compiled/`. A relation is the `UNION ALL` of its parts, fused
into one pass where they read the same tables (`fusion`), placed where the window's SQL files
name `compiled.<relation>`.

Example:
    >>> sorted(RELATION_COLUMNS)[:3]
    ['addressed_contacts', 'condition_choices', 'conversion_activities']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime

import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.journeys import tables
from orgjourney_pipeline.journeys.delivery import send_hold_relations
from orgjourney_pipeline.journeys.fields import journey_filters
from orgjourney_pipeline.journeys.fusion import fuse_branches, union_all
from orgjourney_pipeline.journeys.model import Journey
from orgjourney_pipeline.journeys.sqlexpr import timestamp, where_properties
from orgjourney_pipeline.journeys.tables import RunJourney
from orgjourney_pipeline.journeys.templates import WindowContext, journey_key, relation

Relations = dict[str, list[exp.Query]]

#: Columns of each compiled relation, so an empty one still has the right shape.
RELATION_COLUMNS: dict[str, dict[str, str]] = {
    "entry_levels": {"journey_id": "varchar", "org_id": "varchar"},
    "entry_triggers": {"journey_id": "varchar", "org_id": "varchar", "date_value": "date"},
    "exit_matches": {"enrollment_id": "varchar"},
    "exit_blocked": {"journey_id": "varchar", "org_id": "varchar"},
    "condition_choices": {
        "enrollment_id": "varchar",
        "step_id": "varchar",
        "branch_no": "integer",
        "target_step_id": "varchar",
    },
    "split_choices": {
        "enrollment_id": "varchar",
        "step_id": "varchar",
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
    "entry_trigger_contacts": {
        "journey_id": "varchar",
        "org_id": "varchar",
        "contact_id": "varchar",
    },
    "member_rollups": {
        "rollup_key": "varchar",
        "org_id": "varchar",
        "members": "bigint",
        "matching": "bigint",
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
    "send_holds": {"enrollment_id": "varchar", "step_id": "varchar", "opens_at": "timestamp"},
}


def compile_relations(
    run_journeys: list[RunJourney],
    versions: Mapping[tuple[str, int], Journey],
    context: WindowContext,
) -> dict[str, exp.Query]:
    """Build the compiled relations of one window (or, `context.for_every_window`, of any
    window whose `window_shapes` are the same).

    `versions` holds every (journey id, version) whose steps may run: the current ones and
    those that active enrollments still follow.
    """
    published = _published(run_journeys)
    published_ids = {journey.id for journey in published}
    moving = [journey for key, journey in versions.items() if key[0] in published_ids]
    parts: dict[str, list[exp.Query]] = {name: [] for name in RELATION_COLUMNS}

    def add(relations: Mapping[str, list[exp.Query]]) -> None:
        for name, queries in relations.items():
            parts[name].extend(queries)

    for journey in published:
        add(journey.entry.relations(journey, context))
        add(_exit_blocked(journey, context))
    for journey in moving:
        add(_exit_matches(journey, context))
        add(send_hold_relations(journey, context.end))
        for step in journey.steps:
            add(step.relations(journey, context))
    for journey in versions.values():  # conversions count whatever the journey's state
        add(_conversion_activities(journey))
    add(_member_rollups([*published, *moving], context))
    return {name: _relation(queries, RELATION_COLUMNS[name]) for name, queries in parts.items()}


def window_shapes(run_journeys: list[RunJourney], context: WindowContext) -> tuple[Hashable, ...]:
    """What of the window, beyond its `WindowValue`s, the relations are built from: the
    published journeys' entries' `window_shape`, in order."""
    return tuple(j.entry.window_shape(j, context) for j in _published(run_journeys))


def window_tables(
    run_journeys: list[RunJourney],
    versions: Mapping[tuple[str, int], Journey],
    window_end: datetime,
    org_fields: Mapping[str, str],
) -> dict[str, pa.Table]:
    """The journeys' data tables of one window (`tables`)."""
    return {
        "run_journeys": tables.run_journeys_table(run_journeys),
        **tables.step_tables(versions.values(), window_end, org_fields),
    }


def _published(run_journeys: list[RunJourney]) -> list[Journey]:
    return [rj.journey for rj in run_journeys if rj.state == "published" and rj.journey]


def journey_parts(journey: Journey) -> list[tuple[str, int, Callable[[WindowContext], Relations]]]:
    """Each part of a journey that compiles: (label, the line it is written at, its compiler).

    The same compilers as `compile_relations`', one journey at a time, so a part that cannot be
    compiled can be named where the file writes it.
    """
    lines = journey.lines
    parts: list[tuple[str, int, Callable[[WindowContext], Relations]]] = [
        ("entry", lines.get("entry", 1), lambda c: journey.entry.relations(journey, c)),
        (
            "exit",
            lines.get("exit", 1),
            lambda c: {**_exit_blocked(journey, c), **_exit_matches(journey, c)},
        ),
        ("attribution", lines.get("attribution", 1), lambda c: _conversion_activities(journey)),
    ]
    for step in journey.steps:
        parts.append(
            (f"step '{step.id}'", step.line, lambda c, step=step: step.relations(journey, c))
        )
    return parts


def _relation(queries: Iterable[exp.Query], columns: Mapping[str, str]) -> exp.Query:
    """The union of a relation's parts, fused; an empty one with the relation's columns."""
    query = union_all(queries)
    if query is None:
        selects = [
            exp.cast(exp.Null(), exp.DataType.build(kind)).as_(name)
            for name, kind in columns.items()
        ]
        return exp.select(*selects).where(exp.false(), copy=False)
    return fuse_branches(query)


def _member_rollups(
    journeys: Iterable[Journey], context: WindowContext
) -> dict[str, list[exp.Query]]:
    """One grouped pass per distinct contact filter that the journeys' `members` roll-ups
    name (the same filter for the same clock is one pass, whichever journeys share it)."""
    passes: dict[str, exp.Query] = {}
    for journey in journeys:
        scope = context.org_scope(journey)
        for subject, _, node in journey_filters(journey):
            if subject == "org":
                passes.update(node.rollup_passes(scope))
    return {"member_rollups": list(passes.values())}


def _exit_matches(journey: Journey, context: WindowContext) -> dict[str, list[exp.Query]]:
    """Active enrollments on this journey version whose exit filter matches now."""
    if journey.exit is None or journey.exit.filter is None:
        return {}
    exit_filter = journey.exit.filter.predicate(context.org_scope(journey, enrollment="a"))
    match = relation("exit_match", **journey_key(journey), exit_filter=exit_filter)
    return {"exit_matches": [match]}


def _exit_blocked(journey: Journey, context: WindowContext) -> dict[str, list[exp.Query]]:
    """Entry candidates of this journey that match its exit filter now (they do not enter)."""
    if journey.exit is None or journey.exit.filter is None:
        return {}
    exit_filter = journey.exit.filter.predicate(context.org_scope(journey, enrollment="pending"))
    blocked = relation(
        "exit_blocked",
        journey_id=journey.id,
        window_end=timestamp(context.end),
        exit_filter=exit_filter,
    )
    return {"exit_blocked": [blocked]}


def _conversion_activities(journey: Journey) -> dict[str, list[exp.Query]]:
    """Attribution activities of organizations processed this window, for one journey version."""
    attribution = journey.attribution
    if attribution is None:
        return {}
    within = exp.Interval(
        this=exp.Literal.string(str(float(attribution.within_days) * 86400)),
        unit=exp.var("SECOND"),
    )
    activities = relation(
        "conversion_activities",
        **journey_key(journey),
        within=within,
        exits=exp.Boolean(this=journey.exit is not None and journey.exit.on_conversion),
        activity_type=attribution.activity,
        properties_match=where_properties(attribution.where or {}, exp.column("properties", "a")),
    )
    return {"conversion_activities": [activities]}
