"""`status` and `fields`: how fresh and healthy the warehouse is, and what journeys may use.

Both read a warehouse and write nothing. `status` answers "is it running, and on what data":
the last processed window and how far it trails the clock and the newest loaded activity,
the last ingest and its rejected rows, the journeys by the state they last ran with (the
stopped ones with the problems of their files now), and the active enrollments. `fields`
answers "what can I write in a journey": each organization and contact field with its type
and how many rows have a value (by the filters' own `is_set` rule), the tags in use and the
activity types seen. The statements are the files of `sql/status/` and `sql/fields/`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlglot import exp

from orgjourney_pipeline import catalog, sqlfiles, validation
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys import (
    BUILTIN_CONTACT_FIELDS,
    BUILTIN_ORG_FIELDS,
    Clock,
    FieldCondition,
    FilterScope,
)
from orgjourney_pipeline.journeys.filters import compile_filter
from orgjourney_pipeline.timeutil import format_instant, json_instant

# subject table -> (filter scope subject, its built-in fields)
SUBJECTS = {
    "organizations": ("org", BUILTIN_ORG_FIELDS),
    "contacts": ("contact", BUILTIN_CONTACT_FIELDS),
}


@dataclass
class JourneyState:
    journey_id: str
    version: int
    state: str
    last_run_at: datetime
    active_enrollments: int = 0
    problems: list[str] = field(default_factory=list)  # why a stopped journey is stopped


@dataclass
class Status:
    now: datetime
    last_window_end: datetime | None
    windows: int
    newest_activity_at: datetime | None
    activities: int
    last_ingest_at: datetime | None
    last_ingest_files: int
    last_ingest_rows_loaded: int
    last_ingest_rows_rejected: int
    journeys: list[JourneyState]

    @property
    def hours_behind_clock(self) -> float | None:
        """How far the last processed window's end trails the clock, in hours."""
        return _hours(self.now, self.last_window_end)

    @property
    def hours_behind_activity(self) -> float | None:
        """How far the last processed window's end trails the newest loaded activity."""
        return _hours(self.newest_activity_at, self.last_window_end)

    @property
    def active_enrollments(self) -> int:
        return sum(journey.active_enrollments for journey in self.journeys)

    def document(self) -> dict[str, Any]:
        """The `status --json` document (docs/schemas/status.schema.json)."""
        return _jsonable(
            {
                **asdict(self),
                "hours_behind_clock": self.hours_behind_clock,
                "hours_behind_activity": self.hours_behind_activity,
                "active_enrollments": self.active_enrollments,
            }
        )


# How far past the data an instant may be before `run` and `preview` warn.
PAST_THE_DATA = timedelta(days=1)


@dataclass
class Freshness:
    """What the data reaches, beside an instant a command works at (`--at`, `--through`)."""

    at: datetime
    last_window_end: datetime | None
    newest_activity_at: datetime | None

    def warnings(self) -> list[str]:
        """One line per reference `at` is more than a day past (none before any data)."""
        found = []
        for what, instant, consequence in (
            (
                "the last processed window",
                self.last_window_end,
                "the windows between are not processed yet",
            ),
            (
                "the newest loaded activity",
                self.newest_activity_at,
                "no activity that recent is loaded (ingest newer files?)",
            ),
        ):
            if instant is not None and self.at - instant > PAST_THE_DATA:
                days = (self.at - instant).total_seconds() / 86400
                found.append(
                    f"{format_instant(self.at)} is {days:.1f} days past {what} "
                    f"({format_instant(instant)}): {consequence}"
                )
        return found

    def line(self) -> str:
        """`data: last processed window …; newest loaded activity …`."""
        return (
            f"data: last processed window {_when(self.last_window_end)}; "
            f"newest loaded activity {_when(self.newest_activity_at)}"
        )

    def document(self) -> dict[str, Any]:
        """The `data` member of the `run` and `preview` JSON documents."""
        return _jsonable(
            {
                "last_window_end": self.last_window_end,
                "newest_activity_at": self.newest_activity_at,
                "warnings": self.warnings(),
            }
        )


def freshness(engine: Engine, at: datetime) -> Freshness:
    """The last processed window and the newest loaded activity, beside `at`."""
    [(last_window_end, _windows)] = engine.rows(_sql("status/last_window.sql"))
    [(newest, _activities)] = engine.rows(_sql("status/newest_activity.sql"))
    return Freshness(at, last_window_end, newest)


def status(engine: Engine, journeys_folder: Path, now: datetime) -> Status:
    """The warehouse's freshness and health as of `now`; problems read from the journey files."""
    [(last_window_end, windows)] = engine.rows(_sql("status/last_window.sql"))
    [(newest, activities)] = engine.rows(_sql("status/newest_activity.sql"))
    [(ingested_at, files, loaded, rejected)] = engine.rows(_sql("status/last_ingest.sql"))
    active = dict(engine.rows(_sql("status/active_enrollments.sql")))
    states, journey_files = [], {}
    for journey_id, version, state, last_run_at, file in engine.rows(
        _sql("status/journey_states.sql")
    ):
        states.append(
            JourneyState(journey_id, version, state, last_run_at, active.get(journey_id, 0))
        )
        journey_files[journey_id] = file
    if any(journey.state == "stopped" for journey in states):
        _explain_stopped(engine, journeys_folder, now, states, journey_files)
    return Status(
        now,
        last_window_end,
        windows,
        newest,
        activities,
        ingested_at,
        files,
        loaded,
        rejected,
        states,
    )


def _explain_stopped(
    engine, folder: Path, now: datetime, states: list[JourneyState], files: dict[str, str]
) -> None:
    """Each stopped journey's problems as its file shows them now (or that it has none).

    A problem belongs to a journey by its id, or by the file the journey was last read from
    (a file that no longer parses names no id)."""
    found = validation.validate(folder, engine, now, bind=False) if folder.is_dir() else None
    for journey in states:
        if journey.state != "stopped":
            continue
        file = files.get(journey.journey_id)
        problems = [
            str(problem)
            for problem in (found.errors if found else [])
            if problem.journey_id == journey.journey_id or (file and _same_file(problem.file, file))
        ]
        present = found is not None and (
            any(j.id == journey.journey_id for j in found.journeys) or bool(problems)
        )
        if not present:
            problems = [f"no journey file with id '{journey.journey_id}' in {folder}"]
        journey.problems = problems or ["its file is valid now: the next run publishes it"]


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


@dataclass
class Field:
    subject: str  # organizations | contacts
    name: str
    type: str
    built_in: bool
    rows_with_value: int


@dataclass
class Fields:
    fields: list[Field]
    rows: dict[str, int]  # subject -> rows
    tags: list[tuple[str, str, int]]  # subject, tag, rows
    activity_types: list[tuple[str, int, datetime]]  # type, events, last occurred_at

    def document(self) -> dict[str, Any]:
        """The `fields --json` document (docs/schemas/fields.schema.json)."""
        return _jsonable(
            {
                "fields": [asdict(f) for f in self.fields],
                "rows": self.rows,
                "tags": [{"subject": s, "tag": t, "rows": n} for s, t, n in self.tags],
                "activity_types": [
                    {"activity_type": a, "events": n, "last_at": at}
                    for a, n, at in self.activity_types
                ],
            }
        )


def fields(engine: Engine) -> Fields:
    """Every field journeys may use, with its type and how many rows have a value."""
    org_custom, contact_custom = catalog.field_types(engine)
    custom = {"organizations": org_custom, "contacts": contact_custom}
    found: list[Field] = []
    rows: dict[str, int] = {}
    for subject, (kind, built_in) in SUBJECTS.items():
        types = {**built_in, **custom[subject]}
        total, *counts = engine.rows(_value_counts(subject, kind, types).sql(engine.dialect))[0]
        rows[subject] = total
        found.extend(
            Field(subject, name, field_type, name in built_in, count)
            for (name, field_type), count in zip(types.items(), counts, strict=True)
        )
    return Fields(
        found,
        rows,
        [tuple(row) for row in engine.rows(_sql("fields/tags.sql"))],
        [tuple(row) for row in engine.rows(_sql("fields/activity_types.sql"))],
    )


def _value_counts(subject: str, kind: str, types: dict[str, str]) -> exp.Select:
    """`select count(*), count(*) filter (where <field is_set>) .. from <subject> as s`."""
    unused = Clock(datetime(2000, 1, 1), datetime(2000, 1, 1).date(), 0)  # is_set reads no clock
    scope = FilterScope(kind, "s", types, unused)
    counts = [exp.Count(this=exp.Star())]
    for name in types:
        is_set = compile_filter(FieldCondition(name, "is_set"), scope)
        counts.append(
            exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=is_set))
        )
    return exp.select(*counts).from_(exp.to_table(subject).as_("s"))


def _sql(name: str) -> str:
    return sqlfiles.load(name).sql()


def _when(instant: datetime | None) -> str:
    return format_instant(instant) if instant is not None else "none"


def _hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 3600, 2)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return json_instant(value)
    return value
