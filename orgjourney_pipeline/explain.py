"""`orgjourney explain`: the story of one organization, decision by decision.

The past is read from the tables the engine wrote (`sql/explain/`): each enrollment with its
entry rule and, for an activity entry, the events the entering run processed (a late arrival
named as such, from what each run had loaded: `runs.load_seq_through`); each step reached
with its outcome (the branch taken); each contact sent to or suppressed, with the reason;
how it ended and its conversion.

The next run is the engine's own: for each published journey the window after `--at` runs
for that journey alone in a transaction that is rolled back (as `preview` does), and the
organization enters or not. When it does not, the first thing that stops it is named, in
this order: the journey's state, the frequency rule (with the enrollment that blocks it),
the exit filter (each condition's truth), the entry filter (the first false condition, with
the field's value), the global holdout, and else the entry rule's trigger, which did not
fire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlglot import exp

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys.filters import FieldCondition, FilterNode
from orgjourney_pipeline.journeys.model import known_field
from orgjourney_pipeline.journeys.problems import hint
from orgjourney_pipeline.journeys.sqlexpr import field_column
from orgjourney_pipeline.sqlfiles import literal
from orgjourney_pipeline.timeutil import json_instant
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.journeys import prepare_journeys, window_context
from orgjourney_pipeline.windows.plan import HOUR, Window, last_window_end
from orgjourney_pipeline.windows.window import loaded_through, run_window

# The parts of an enrollment's story, one file of sql/explain/ each; the last also reads the
# entry's `where` of each stored version (`_entry_where`).
PAST = ("steps", "contacts", "conversions", "triggering_events")


class ExplainError(LookupError):
    """An organization or journey the warehouse does not know."""


@dataclass
class NextRun:
    """Whether the organization enters a journey at the next run, and what stops it."""

    journey_id: str
    version: int
    enters: bool
    stopped_by: str | None = None  # state | frequency | exit_filter | entry_filter | ...
    detail: dict = field(default_factory=dict)


@dataclass
class Explanation:
    org_id: str
    at: datetime
    enrollments: list[dict]
    next_run: list[NextRun]

    def document(self) -> dict:
        """The `explain --json` document (docs/schemas/explain.schema.json)."""
        return json.loads(
            json.dumps(
                {
                    "org_id": self.org_id,
                    "at": json_instant(self.at),
                    "enrollments": self.enrollments,
                    "next_run": [vars(run) for run in self.next_run],
                },
                default=_json_value,
            )
        )


def _json_value(value):
    if isinstance(value, datetime):
        return json_instant(value)
    raise TypeError(f"not JSON: {value!r}")


def explain(
    engine: Engine,
    journeys_dir: Path,
    org_id: str,
    journey_id: str | None = None,
    at: datetime | None = None,
) -> Explanation:
    """The organization's decisions through `at` (default: the last processed window's end)
    and its next run. Raises `ExplainError` for an unknown organization or journey."""
    known_orgs = [row[0] for row in engine.rows(sqlfiles.load("explain/org_ids.sql").sql())]
    if org_id not in known_orgs:
        raise ExplainError(
            f"no organization '{org_id}' in the warehouse" + hint(org_id, known_orgs)
        )
    catalog = journey_catalog.load_catalog(engine, journeys_dir)
    if journey_id is not None:
        known = {rj.journey_id for rj in catalog.run_journeys} | {
            key[0] for key in catalog.versions
        }
        if journey_id not in known:
            raise ExplainError(f"no journey '{journey_id}'" + hint(journey_id, known))
    at = _at(engine, at)
    return Explanation(
        org_id,
        at,
        past(engine, org_id, journey_id, at),
        _next_runs(engine, catalog, org_id, journey_id, at),
    )


def _at(engine: Engine, at: datetime | None) -> datetime:
    at = at or last_window_end(engine)
    if at is None:
        raise ExplainError("no window processed yet: nothing to explain (give --at)")
    return at


def decisions(
    engine: Engine, org_id: str, journey_id: str | None = None, at: datetime | None = None
) -> list[dict]:
    """The past decisions as flat rows, in order (the Python API's `explain`): one per entry,
    triggering event, step reached, contact sent to or suppressed, end and conversion."""
    rows = []
    for e in past(engine, org_id, journey_id, _at(engine, at)):
        key = {"journey_id": e["journey_id"], "enrollment_id": e["enrollment_id"]}
        rows.append(
            {
                **key,
                "at": e["entered_at"],
                "decision": "entered",
                "detail": json.dumps(e["entry_rule"]),
            }
        )
        for t in e["triggering_events"]:
            late = " (late arrival)" if t["late"] else ""
            rows.append(
                {
                    **key,
                    "at": t["occurred_at"],
                    "decision": "triggered_by",
                    "detail": f"{t['event_id']} of {t['contact_id']}{late}",
                }
            )
        for step in e["steps"]:
            rows.append(
                {
                    **key,
                    "at": step["reached_at"],
                    "decision": "step",
                    "detail": f"{step['step_id']}: {step['outcome']}",
                }
            )
        for c in e["contacts"]:
            rows.append(
                {
                    **key,
                    "at": c["run_at"],
                    "decision": "suppressed" if c["reason"] else "sent",
                    "detail": f"{c['channel']} {c['step_id']} to {c['contact_id']}"
                    + (f": {c['reason']}" if c["reason"] else ""),
                }
            )
        if e["ended_at"] is not None:
            rows.append(
                {**key, "at": e["ended_at"], "decision": e["status"], "detail": e["end_reason"]}
            )
        for c in e["conversions"]:
            rows.append(
                {
                    **key,
                    "at": c["converted_at"],
                    "decision": "converted",
                    "detail": f"{c['event_id']} of {c['contact_id']}",
                }
            )
    return rows


def past(engine: Engine, org_id: str, journey_id: str | None, at: datetime) -> list[dict]:
    """Each enrollment of the organization through `at`, with its decisions."""
    params = {"org_id": org_id, "journey_id": journey_id, "at": at}
    enrollments = _dicts(engine, "explain/enrollments.sql", params)
    parts = {name: _dicts(engine, f"explain/{name}.sql", params) for name in PAST[:-1]}
    parts["triggering_events"] = _dicts(
        engine, "explain/triggering_events.sql", params | _entry_where(engine)
    )
    for enrollment in enrollments:
        enrollment["entry_rule"] = json.loads(enrollment["entry_rule"] or "null")
        for name, rows in parts.items():
            enrollment[name] = [
                {k: v for k, v in row.items() if k != "enrollment_id"}
                for row in rows
                if row["enrollment_id"] == enrollment["enrollment_id"]
            ]
    return enrollments


def _entry_where(engine: Engine) -> dict:
    """`properties_match` of `triggering_events.sql`: the entry's `where` of the enrollment's
    stored version, over the activity `a` (true for versions without one)."""
    properties = exp.column("properties", "a")
    match = exp.Case()
    for (journey_id, version), stored in journey_catalog.stored_versions(engine).items():
        entry = stored["journey"].entry
        if getattr(entry, "where", None):
            this_version = exp.and_(
                exp.column("journey_id", "entered").eq(literal(journey_id)),
                exp.column("journey_version", "entered").eq(literal(version)),
            )
            match = match.when(this_version, entry.properties_match(properties))
    return {"properties_match": match.else_(exp.true()) if match.args.get("ifs") else exp.true()}


def _dicts(engine: Engine, path: str, params: dict) -> list[dict]:
    statement = sqlfiles.load(path)
    rows = engine.rows(statement.sql(**params))
    columns = [select.alias_or_name for select in statement.statement.selects]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _next_runs(engine, catalog, org_id: str, journey_id: str | None, at: datetime):
    window = Window(at, at + HOUR)
    load_seq = loaded_through(engine)
    chosen = [
        rj
        for rj in catalog.run_journeys
        if rj.journey is not None
        and (rj.journey_id == journey_id if journey_id else rj.state == "published")
    ]
    return [_next_run(engine, catalog, rj, org_id, window, load_seq) for rj in chosen]


def _next_run(engine, catalog, rj, org_id, window, load_seq) -> NextRun:
    journey = rj.journey
    run = NextRun(rj.journey_id, rj.version, False)
    if rj.state != "published":
        run.stopped_by, run.detail = "state", {"state": rj.state}
        return run
    blocking = _dicts(
        engine,
        "explain/blocking_enrollment.sql",
        {"org_id": org_id, "journey_id": journey.id, "frequency": journey.frequency},
    )
    alone = catalog.alone(journey)
    with engine.transaction(commit=False):
        run_window(engine, window, window_steps.load_steps(), load_seq, alone)
        entered = engine.rows(_in("new_enrollments", org_id))
        if entered:
            run.enters = True
            return run
        context, _ = window_context(engine, alone, window, load_seq)
        scope = context.org_scope(journey)
        compiled = prepare_journeys(engine, alone, window, load_seq)
        if blocking:
            run.stopped_by = "frequency"
            run.detail = {"frequency": journey.frequency, "enrollment": blocking[0]}
            return run
        exit_filter = journey.exit.filter if journey.exit else None
        exit_conditions = _conditions(engine, exit_filter, scope, org_id)
        if exit_filter is not None and engine.rows(_in(compiled["exit_blocked"], org_id)):
            run.stopped_by, run.detail = "exit_filter", {"conditions": exit_conditions}
            return run
        entry_filter = journey.entry.filter
        conditions = _conditions(engine, entry_filter, scope, org_id)
        if entry_filter is not None and not _truth(engine, entry_filter, scope, org_id):
            first_false = next((c for c in conditions if c["true"] is False), None)
            run.stopped_by = "entry_filter"
            run.detail = {"condition": first_false, "conditions": conditions}
            return run
        held = engine.rows(sqlfiles.load("explain/global_holdout.sql").sql(org_id=org_id))
        if held and held[0][0]:
            run.stopped_by, run.detail = "global_holdout", {}
            return run
        run.stopped_by = "entry_rule"
        run.detail = {"entry_rule": journey.entry.definition(), "triggered": False}
    return run


def _in(relation: str, org_id: str) -> str:
    """The organization's rows of a table, or of a compiled relation (its SQL text)."""
    source = (
        exp.to_table(relation)
        if relation.isidentifier()
        else exp.maybe_parse(relation, dialect="duckdb").subquery("relation")
    )
    return (
        exp.select("org_id")
        .from_(source)
        .where(exp.column("org_id").eq(literal(org_id)))
        .sql("duckdb")
    )


def _truth(engine, node: FilterNode, scope, org_id: str) -> bool | None:
    rows = engine.rows(_evaluation(node, scope, org_id))
    return rows[0][0] if rows else None


def _evaluation(node: FilterNode, scope, org_id: str, value: exp.Expression | None = None) -> str:
    columns = [exp.alias_(node.predicate(scope), "truth")]
    if value is not None:
        columns.append(exp.alias_(exp.cast(value, "varchar"), "value"))
    return (
        exp.select(*columns)
        .from_(exp.alias_(exp.to_table("organizations_at"), "o"))
        .where(exp.column("org_id", "o").eq(literal(org_id)))
        .sql("duckdb")
    )


def _conditions(engine, node: FilterNode | None, scope, org_id: str) -> list[dict]:
    """Each condition (leaf) of a filter: its definition, its truth, a field's value."""
    if node is None:
        return []
    found = []
    for leaf in node.leaves():
        value = None
        if isinstance(leaf, FieldCondition):
            value = field_column(known_field(leaf.field, scope.field_types) or leaf.field, "o")
        # A `since: entry` condition counts from an enrollment's entry: none before entering.
        since_entry = "since" in leaf.definition()
        rows = [] if since_entry else engine.rows(_evaluation(leaf, scope, org_id, value))
        truth, seen = (tuple(rows[0]) + (None,))[:2] if rows else (None, None)
        item = {"condition": leaf.definition(), "true": truth}
        if value is not None:
            item["value"] = seen
        found.append(item)
    return found
