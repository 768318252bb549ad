"""Random worlds for differential tests: CRM snapshots, activity, journeys changing over time.

A `World` is everything a user could feed the pipeline over a few invocations: input rows
(typed, for the reference; written as CSV files, for the engine), and per invocation the
journey files in the folder, the files that landed in the inbox before it, and the last
window it runs through. `worlds()` is the hypothesis strategy; `run_engine` drives the real
engine through its CLI (`ingest`, then `run`), exactly as a user would, and reads back the
output tables.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from orgjourney_pipeline import journeys as jm

from .model import HOUR, TABLES, Activity, Inputs, Invocation, Snapshot, sort_rows

# Interesting places to start: a Monday; the US and EU spring-forward nights; the US
# fall-back night; the end of February (the 29th falls on the 28th; day 31 is the 28th);
# the end of a 31-day month; Lord Howe's half-hour fall-back.
STARTS = (
    datetime(2026, 1, 5, 6),
    datetime(2026, 3, 7, 20),
    datetime(2026, 3, 28, 20),
    datetime(2026, 10, 31, 22),
    datetime(2026, 2, 27, 18),
    datetime(2026, 1, 31, 12),
    datetime(2026, 4, 4, 8),
)
ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
)
TYPES = (
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "sms_sent",
    "form_submitted",
    "page_viewed",
    "purchase",
    "unsubscribed",
    "renewal_paid",
)
# Event types as drawn: the common ones more often.
# What journeys wait for and count: mostly the common types, sometimes any.
COMMON_TYPES = ("email_opened", "page_viewed", "purchase", "form_submitted", "email_clicked")
# Event types as drawn: the common ones more often; unsubscribes rarely.
EVENT_TYPES = (
    *[t for t in TYPES if t != "unsubscribed"],
    *COMMON_TYPES,
    *COMMON_TYPES,
    *COMMON_TYPES,
    "unsubscribed",
)


def journey_types():
    return st.one_of(
        st.sampled_from(COMMON_TYPES), st.sampled_from(COMMON_TYPES), st.sampled_from(TYPES)
    )


TAGS = ("vip", "VIP", "trial", "partner", "Churn-Risk", "churn-risk")
PLANS = ("free", "Free", "pro", "PRO", "enterprise")
STAGES = ("new", "warm", "Cold")
ROLES = ("admin", "User", "billing")
TEMPLATES = ("t1", "t2", "T3")
AUDIENCES = ("*", "newsletter", "product")
WEEKDAYS = jm.WEEKDAYS
CLOCKS = ("00:00", "02:30", "06:15", "09:00", "12:45", "18:30", "23:00", "03:00", "01:30")

ORG_FIELDS = {
    "plan": "text",
    "seats": "number",
    "renewal_date": "date",
    "signup_date": "date",
    "stage": "text",
}
CONTACT_FIELDS = {"role": "text"}
ORG_COLUMNS = ("org_id", "name", "tags", "timezone", "created_at", *ORG_FIELDS)
DELIVERY_FILE = "delivery.yaml"  # in the journeys folder, not a journey
CONTACT_COLUMNS = (
    "contact_id",
    "email",
    "phone",
    "first_name",
    "tags",
    "sms_opt_in",
    *CONTACT_FIELDS,
)


@dataclass
class World:
    """Inputs, and the invocations that see them."""

    start: datetime  # start of the first window
    snapshots: list[Snapshot]
    activities: list[Activity]  # in load order, duplicates included
    activity_files: dict[int, list[list[int]]]  # load -> files -> indexes into activities
    journey_texts: list[dict[str, str]]  # per invocation: file name -> text
    throughs: list[datetime]  # per invocation: the last window end it runs through
    splits: list[list[datetime]] = field(default_factory=list)  # extra run points inside each

    @property
    def inputs(self) -> Inputs:
        return Inputs(self.snapshots, self.activities, dict(ORG_FIELDS), dict(CONTACT_FIELDS))

    def invocations(self) -> list[Invocation]:
        """The reference's view: one invocation per load, journeys parsed from the files."""
        result = []
        first = self.start
        for load, through in enumerate(self.throughs):
            ends = []
            end = first + HOUR
            while end <= through:
                ends.append(end)
                end += HOUR
            texts = self.journey_texts[load]
            result.append(
                Invocation(tuple(ends), parse_journeys(texts), load, parse_delivery(texts))
            )
            first = through
        return result

    def describe(self) -> str:
        """A readable dump of the world (printed when an example fails)."""
        lines = [
            f"start {self.start:%Y-%m-%dT%H:%M}  throughs {[f'{t:%d %H:%M}' for t in self.throughs]}"
        ]
        for snapshot in self.snapshots:
            lines.append(f"{snapshot.kind} @{snapshot.snapshot_at} load {snapshot.load}:")
            lines += [f"    {dict(row)}" for row in snapshot.rows]
        lines.append("activities:")
        lines += [f"    {a}" for a in self.activities]
        for load, texts in enumerate(self.journey_texts):
            for name, text in texts.items():
                lines.append(f"journey file {name} (invocation {load}): {text}")
        return "\n".join(lines)


def parse_delivery(texts: dict[str, str]) -> jm.DeliveryRules | None:
    if DELIVERY_FILE not in texts:
        return None
    rules, problems = jm.parse_delivery_text(texts[DELIVERY_FILE], DELIVERY_FILE)
    assert not problems, problems
    return rules


def parse_journeys(texts: dict[str, str]) -> tuple[jm.Journey, ...]:
    journeys = []
    for name, text in sorted(texts.items()):
        if name == DELIVERY_FILE:
            continue
        journey, problems = jm.parse_journey_text(text, name)
        errors = [p for p in problems if p.severity == "error"]
        assert journey is not None and not errors, errors
        journeys.append(journey)
    return tuple(journeys)


# -- the engine through its CLI ---------------------------------------------------------------


def run_engine(world: World, folder: Path, *, split: bool = False) -> dict[str, list[tuple]]:
    """Ingest and run the world through the CLI in `folder`; return the output tables.

    Invocation k ingests the files of load k and runs through `throughs[k]`; with `split`,
    it also stops at each of `splits[k]` first (several invocations, same journey files).
    """
    driver = Driver(folder)
    for load, through in enumerate(world.throughs):
        driver.write_journeys(world.journey_texts[load])
        driver.write_inputs(world, load)
        driver.cli("ingest")
        stops = (world.splits[load] if split and world.splits else []) + [through]
        for stop in stops:
            args = ["run", "--through", _iso(stop)]
            if load == 0 and stop == stops[0]:
                args += ["--from", _iso(world.start)]
            driver.cli(*args)
    return driver.tables()


class Driver:
    """Warehouse, journeys, inbox and exports in one folder, and the CLI over them."""

    def __init__(self, folder: Path):
        self.paths = {
            "warehouse": folder / "warehouse.duckdb",
            "journeys": folder / "journeys",
            "inbox": folder / "inbox",
            "exports": folder / "exports",
        }
        for key in ("journeys", "inbox"):
            self.paths[key].mkdir(parents=True, exist_ok=True)

    def cli(self, *args: str, expect_exit: int = 0):
        from click.testing import CliRunner

        from orgjourney_pipeline.cli import cli

        options = []
        for key, path in self.paths.items():
            options += [f"--{key}", str(path)]
        result = CliRunner().invoke(cli, [*options, *args], catch_exceptions=False)
        assert result.exit_code == expect_exit, result.output
        return result

    def write_journeys(self, texts: dict[str, str]) -> None:
        for old in self.paths["journeys"].glob("*.yaml"):
            if old.name not in texts:
                old.unlink()
        for name, text in texts.items():
            (self.paths["journeys"] / name).write_text(text)

    def write_inputs(self, world: World, load: int) -> None:
        inbox = self.paths["inbox"]
        for number, snapshot in enumerate(world.snapshots):
            if snapshot.load != load:
                continue
            columns = {
                "organizations": ORG_COLUMNS,
                "contacts": CONTACT_COLUMNS,
                "memberships": ("contact_id", "org_id"),
                "subscriptions": ("contact_id", "audience", "status"),
            }[snapshot.kind]
            rows = [[_csv(row.get(column)) for column in columns] for row in snapshot.rows]
            at = _iso(snapshot.snapshot_at)
            _write_csv(
                inbox / f"{snapshot.kind}-{load}-{number:02d}.csv",
                [*columns, "snapshot_at"],
                [[*row, at] for row in rows] or [],
            )
            if not snapshot.rows:
                raise AssertionError("an empty snapshot cannot state its snapshot_at")
        for number, indexes in enumerate(world.activity_files.get(load, [])):
            rows = []
            for index in indexes:
                a = world.activities[index]
                rows.append(
                    [
                        a.event_id,
                        a.contact_id,
                        a.activity_type,
                        _iso(a.occurred_at, seconds=True),
                        json.dumps(a.properties),
                    ]
                )
            _write_csv(
                inbox / f"activities-{load}-{number:02d}.csv",
                ["event_id", "contact_id", "activity_type", "occurred_at", "properties"],
                rows,
            )

    def tables(self) -> dict[str, list[tuple]]:
        return read_tables(self.paths["warehouse"])

    def runs(self) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.paths["warehouse"]), read_only=True) as con:
            return con.execute(
                "select window_start, window_end, status from runs order by window_end"
            ).fetchall()


def read_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """The compared output tables of a warehouse, rows sorted."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: sort_rows(con.execute(f"select {', '.join(columns)} from {table}").fetchall())
            for table, columns in TABLES.items()
        }


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _iso(moment: datetime, seconds: bool = False) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if seconds else "%Y-%m-%dT%H:%MZ")


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return _iso(value, seconds=True)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- strategies -------------------------------------------------------------------------------


@st.composite
def worlds(draw, max_windows: int = 30, competing_sends: bool = False) -> World:
    """A random world: a few orgs and contacts, 2-4 days of activity, 1-4 journeys."""
    start = draw(st.sampled_from(STARTS))
    n_windows = draw(st.integers(6, max_windows))
    last_end = start + n_windows * HOUR
    n_invocations = draw(st.integers(1, 3))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, n_windows - 1),
                min_size=n_invocations - 1,
                max_size=n_invocations - 1,
                unique=True,
            )
        )
    )
    throughs = [start + cut * HOUR for cut in cuts] + [last_end]
    n_loads = len(throughs)

    org_ids = [f"o{i}" for i in range(draw(st.integers(2, 8)))]
    contact_ids = [f"c{i}" for i in range(draw(st.integers(2, 10)))]
    history_at = start - timedelta(days=3)

    orgs = [draw(org_rows(org_id, start, complete=(i == 0))) for i, org_id in enumerate(org_ids)]
    contacts = [
        draw(contact_rows(contact_id, complete=(i == 0)))
        for i, contact_id in enumerate(contact_ids)
    ]
    members = draw(memberships(contact_ids, org_ids))
    subs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(contact_ids),
                st.sampled_from(AUDIENCES),
                st.sampled_from(("subscribed", "unsubscribed")),
            ),
            unique_by=lambda t: (t[0], t[1]),
            max_size=6,
        )
    )
    snapshots = [
        Snapshot("organizations", history_at, tuple(orgs), 0),
        Snapshot("contacts", history_at, tuple(contacts), 0),
    ]
    if members:
        snapshots.append(
            Snapshot("memberships", history_at, tuple(_member(c, o) for c, o in members), 0)
        )
    if subs:
        snapshots.append(Snapshot("subscriptions", history_at, tuple(_sub(*s) for s in subs), 0))

    # A change half-way: rows edited or deleted, members moved; maybe loaded late.
    for kind in draw(
        st.lists(
            st.sampled_from(("organizations", "contacts", "memberships", "subscriptions")),
            unique=True,
            max_size=3,
        )
    ):
        at = start + timedelta(minutes=draw(st.integers(10, n_windows * 60 - 10)))
        load = draw(st.integers(0, n_loads - 1))
        if kind == "organizations":
            rows = [
                draw(org_rows(row["org_id"], start)) if draw(st.booleans()) else row
                for row in orgs
                if draw(st.integers(0, 4)) > 0
            ]
        elif kind == "contacts":
            rows = [
                draw(contact_rows(row["contact_id"])) if draw(st.booleans()) else row
                for row in contacts
                if draw(st.integers(0, 4)) > 0
            ]
        elif kind == "memberships":
            rows = [_member(c, o) for c, o in draw(memberships(contact_ids, org_ids))]
        else:
            rows = [
                _sub(*s)
                for s in draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(contact_ids),
                            st.sampled_from(AUDIENCES),
                            st.sampled_from(("subscribed", "unsubscribed")),
                        ),
                        unique_by=lambda t: (t[0], t[1]),
                        max_size=6,
                    )
                )
            ]
        if rows:
            snapshots.append(Snapshot(kind, at, tuple(rows), load))

    # Journeys (drawn before activity, so that properties can name them).
    n_journeys = draw(st.integers(1, 4))
    journey_ids = [f"j{i}" for i in range(n_journeys)]
    histories = [
        draw(journey_history(journey_id, n_loads, competing_sends)) for journey_id in journey_ids
    ]
    journey_texts = [
        {
            f"{jid}.yaml": json.dumps(history[load], indent=1)
            for jid, history in zip(journey_ids, histories, strict=True)
        }
        for load in range(n_loads)
    ]
    for texts in journey_texts:  # the rules across journeys, as each invocation reads them
        rules = draw(delivery_rules())
        if rules is not None:
            texts[DELIVERY_FILE] = json.dumps(rules, indent=1)

    # Activity over 2-4 days around the windows; some late, some duplicated.
    span_start = start - timedelta(hours=draw(st.integers(1, 48)))
    span_end = last_end + timedelta(hours=draw(st.integers(0, 24)))
    seconds = int((span_end - span_start).total_seconds())
    inside_from = int((start - span_start).total_seconds())
    inside_to = int((last_end - span_start).total_seconds())
    activities: list[Activity] = []
    activity_files: dict[int, list[list[int]]] = {}
    events = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*contact_ids, *contact_ids, "c-unknown"]),
                st.sampled_from(EVENT_TYPES),
                st.one_of(
                    st.integers(0, seconds),
                    st.integers(inside_from, inside_to),
                    st.integers(inside_from, inside_to),
                ),
                st.integers(0, n_loads - 1),
                properties(journey_ids),
            ),
            min_size=20,
            max_size=80,
        )
    )
    by_load: dict[int, list[Activity]] = {load: [] for load in range(n_loads)}
    for number, (contact, kind, offset, load, props) in enumerate(events):
        occurred = span_start + timedelta(seconds=offset)
        if draw(st.integers(0, 9)) == 0:
            occurred = occurred.replace(minute=0, second=0)  # exactly on a window boundary
        by_load[load].append(Activity(f"e{number}", contact, kind, occurred, props, load))
    # Duplicates: the same event_id again, in the same load or a later one (maybe changed).
    everything = [a for load in range(n_loads) for a in by_load[load]]
    for original in draw(st.lists(st.sampled_from(everything), max_size=4)) if everything else []:
        later = draw(st.integers(original.load, n_loads - 1))
        changed = draw(st.booleans())
        copy_ = Activity(
            original.event_id,
            original.contact_id,
            "purchase" if changed else original.activity_type,
            original.occurred_at - (timedelta(hours=1) if changed else timedelta()),
            original.properties,
            later,
        )
        by_load[later].append(copy_)
    for load in range(n_loads):
        rows = by_load[load]
        if not rows:
            continue
        n_files = draw(st.integers(1, 2))
        files: list[list[int]] = [[] for _ in range(n_files)]
        assignment = [draw(st.integers(0, n_files - 1)) for _ in rows]
        for file_no in range(n_files):
            for activity, chosen in zip(rows, assignment, strict=True):
                if chosen == file_no:
                    files[file_no].append(len(activities))
                    activities.append(activity)
        activity_files[load] = [f for f in files if f]

    splits = []
    previous = start
    for through in throughs:
        hours = int((through - previous) / HOUR)
        inner = draw(st.lists(st.integers(1, max(hours - 1, 1)), unique=True, max_size=2))
        splits.append(sorted(previous + h * HOUR for h in inner if h < hours))
        previous = through

    return World(start, snapshots, activities, activity_files, journey_texts, throughs, splits)


@st.composite
def memberships(draw, contact_ids: list[str], org_ids: list[str]) -> list[tuple[str, str]]:
    """Most contacts in one organization, some in two or none; some orgs without contacts."""
    pairs = []
    for contact_id in contact_ids:
        size = draw(st.sampled_from((1, 1, 1, 2, 0)))
        for org_id in draw(
            st.lists(st.sampled_from(org_ids), min_size=size, max_size=size, unique=True)
        ):
            pairs.append((contact_id, org_id))
    return pairs


def _member(contact_id: str, org_id: str) -> dict:
    return {"contact_id": contact_id, "org_id": org_id}


def _sub(contact_id: str, audience: str, status: str) -> dict:
    return {"contact_id": contact_id, "audience": audience, "status": status}


@st.composite
def org_rows(draw, org_id: str, start: datetime, complete: bool = False) -> dict:
    def maybe(strategy):
        return draw(strategy) if complete or draw(st.integers(0, 4)) > 0 else None

    base = start.date()
    return {
        "org_id": org_id,
        "name": f"Org {org_id.upper()}",
        "tags": draw(st.lists(st.sampled_from(TAGS), unique_by=str.lower, max_size=3)),
        "timezone": draw(st.sampled_from((*ZONES, None, None, "Mars/Olympus"))),
        "created_at": maybe(
            st.integers(0, 24 * 10).map(lambda h: start - timedelta(hours=h, minutes=7))
        ),
        "plan": maybe(st.sampled_from(PLANS)),
        "seats": maybe(st.integers(1, 120).map(float)),
        "renewal_date": maybe(st.integers(-3, 14).map(lambda d: base + timedelta(days=d))),
        "signup_date": maybe(
            st.one_of(
                st.just(date(2024, 2, 29)),
                st.tuples(st.integers(2019, 2025), st.integers(-1, 2)).map(
                    lambda t: _same_day(base + timedelta(days=t[1]), t[0])
                ),
            )
        ),
        "stage": maybe(st.sampled_from(STAGES)),
    }


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


@st.composite
def contact_rows(draw, contact_id: str, complete: bool = False) -> dict:
    number = contact_id[1:]
    has_email = complete or draw(st.integers(0, 4)) > 0
    has_phone = complete or draw(st.integers(0, 2)) > 0
    return {
        "contact_id": contact_id,
        "email": f"{contact_id}@example.test" if has_email else None,
        "phone": f"+1555000{number}" if has_phone else None,
        "first_name": f"Name{number}",
        "tags": draw(st.lists(st.sampled_from(TAGS), unique_by=str.lower, max_size=2)),
        "sms_opt_in": draw(st.sampled_from((True, False, None))) if not complete else True,
        "role": draw(st.sampled_from((*ROLES, None))) if not complete else "admin",
    }


def properties(journey_ids: list[str]):
    return st.fixed_dictionaries(
        {},
        optional={
            "journey_id": st.sampled_from([*journey_ids, "unknown-journey"]),
            "template": st.sampled_from(TEMPLATES),
            "value": st.integers(1, 500),
            "plan": st.sampled_from(PLANS),
        },
    )


# -- journeys ---------------------------------------------------------------------------------


@st.composite
def journey_history(
    draw, journey_id: str, n_loads: int, competing_sends: bool = False
) -> list[dict]:
    """The journey's definition as read by each invocation: states change, versions bump."""
    definition = draw(journey_definition(journey_id, 1, competing_sends))
    definition["state"] = draw(st.sampled_from(("published", "published", "published", "draft")))
    history = [definition]
    for _ in range(1, n_loads):
        previous = history[-1]
        change = draw(st.sampled_from(("same", "state", "bump", "bump_state")))
        current = dict(previous)
        if change in ("bump", "bump_state"):
            current = draw(journey_definition(journey_id, previous["version"] + 1, competing_sends))
            if draw(st.booleans()):  # a small change: keep entry and steps, rename templates
                current = dict(previous, version=previous["version"] + 1)
                current["name"] = f"{previous['name']} v{current['version']}"
            current["state"] = previous["state"]
        if change in ("state", "bump_state"):
            current["state"] = draw(st.sampled_from(("published", "paused", "archived", "draft")))
        history.append(current)
    return history


@st.composite
def journey_definition(draw, journey_id: str, version: int, competing_sends: bool = False) -> dict:
    definition: dict[str, Any] = {
        "id": journey_id,
        "name": f"Journey {journey_id}",
        "version": version,
        "state": "published",
        "timezone": draw(st.sampled_from(ZONES)),
        "entry": draw(entries()),
        "frequency": draw(st.sampled_from(("once", "once_at_a_time", "every_time"))),
    }
    attribution = None
    if draw(st.booleans()):
        attribution = {
            "activity": draw(st.sampled_from(("purchase", "renewal_paid", "form_submitted"))),
            "within_days": draw(st.sampled_from((1, 2, 30))),
        }
        if draw(st.integers(0, 3)) == 0:
            attribution["where"] = {"template": draw(st.sampled_from(TEMPLATES))}
        definition["attribution"] = attribution
    exit_: dict[str, Any] = {}
    if draw(st.booleans()):
        exit_["filter"] = draw(
            st.one_of(
                org_filters(since=True),
                # What changes while an organization waits: its activity, what steps set.
                st.builds(
                    lambda kind: {"activity": kind, "since": "entry"}, st.sampled_from(COMMON_TYPES)
                ),
                st.builds(
                    lambda kind: {"activity": kind, "since": "entry"}, st.sampled_from(COMMON_TYPES)
                ),
                st.builds(
                    lambda v: {"field": "stage", "op": "eq", "value": v}, st.sampled_from(STAGES)
                ),
                st.builds(lambda tag: {"tag": tag}, st.sampled_from(TAGS)),
            )
        )
    if attribution and draw(st.booleans()):
        exit_["on_conversion"] = True
    if exit_:
        definition["exit"] = exit_
    triggered = definition["entry"]["when"] == "activity"
    audience = draw(st.integers(0, 5))
    if audience <= 1:
        definition["send_to"] = {"filter": draw(contact_filters())}
    elif audience in (2, 3) and triggered:
        definition["send_to"] = "triggering_contacts"
    if draw(st.booleans()):
        definition["unsubscribe"] = {"audience": draw(st.sampled_from(("newsletter", "product")))}
    definition["steps"] = draw(step_lists(triggered))
    definition.update(draw(journey_delivery()))
    if competing_sends:  # many sends to the same contacts: caps and quiet hours at work
        definition["entry"] = {"when": "activity", "activity": draw(st.sampled_from(COMMON_TYPES))}
        definition["frequency"] = "every_time"
        send = draw(st.sampled_from(("send_email", "send_email", "send_sms")))
        definition["steps"] = [{"id": "first", send: {"template": "t1"}}, *definition["steps"]]
    return definition


@st.composite
def journey_delivery(draw) -> dict:
    """A journey's delivery rules: quiet hours, a priority, exemption, a holdout (each maybe)."""
    rules: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        start, end = draw(st.lists(st.sampled_from(CLOCKS), min_size=2, max_size=2, unique=True))
        window: dict[str, Any] = {"from": start, "to": end}
        if draw(st.booleans()):
            window["weekdays"] = draw(
                st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True)
            )
        if draw(st.booleans()):
            window["timezone"] = "organization"
        rules["send_window"] = window
    if draw(st.booleans()):
        rules["priority"] = draw(st.integers(-1, 3))
    if draw(st.integers(0, 4)) == 0:
        rules["frequency_cap"] = "exempt"
    if draw(st.integers(0, 3)) == 0:
        rules["holdout"] = {"percent": draw(st.sampled_from((10, 33.5, 50)))}
    return rules


@st.composite
def delivery_rules(draw) -> dict | None:
    """A delivery.yaml: caps per channel per day or week in a zone, a global holdout; or none."""
    if draw(st.integers(0, 2)) == 0:
        return None
    caps = draw(
        st.lists(
            st.builds(
                lambda channel, most, per: {"channel": channel, "max": most, "per": per},
                st.sampled_from(("email", "email", "sms")),
                st.sampled_from((0, 1, 1, 2)),
                st.sampled_from(("day", "week")),
            ),
            max_size=3,
            unique_by=lambda cap: (cap["channel"], cap["per"]),
        )
    )
    rules: dict[str, Any] = {"caps": caps, "timezone": draw(st.sampled_from(ZONES))}
    if draw(st.integers(0, 3)) == 0:
        rules["global_holdout"] = {"percent": draw(st.sampled_from((20, 50)))}
    return rules


@st.composite
def entries(draw) -> dict:
    kind = draw(
        st.sampled_from(
            ("filter", "activity", "tags", "approaching_date", "anniversary", "recurring")
        )
    )
    entry: dict[str, Any] = {"when": kind}
    if kind == "filter":
        entry["filter"] = draw(org_filters(depth=1))
    elif kind == "activity":
        entry["activity"] = draw(journey_types())
        if draw(st.integers(0, 3)) == 0:
            entry["where"] = {"template": draw(st.sampled_from(TEMPLATES))}
    elif kind == "tags":
        entry["tags"] = draw(
            st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique_by=str.lower)
        )
        entry["match"] = draw(st.sampled_from(("any", "all")))
    elif kind == "approaching_date":
        entry["field"] = "renewal_date"
        entry["days_before"] = draw(st.integers(0, 10))
    elif kind == "anniversary":
        entry["field"] = "signup_date"
        entry["at"] = draw(st.sampled_from(CLOCKS))
    else:
        entry["every"] = draw(st.sampled_from(("day", "week", "month")))
        entry["at"] = draw(st.sampled_from(CLOCKS))
        if entry["every"] == "week":
            entry["on"] = draw(
                st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True)
            )
        if entry["every"] == "month":
            entry["day"] = draw(st.sampled_from((1, 28, 29, 30, 31, 5)))
    if kind != "filter" and draw(st.integers(0, 2)) == 0:
        entry["filter"] = draw(org_filters(depth=1))
    return entry


def org_filters(since: bool = False, depth: int = 2):
    leaves = st.one_of(
        st.builds(
            lambda op, value: {"field": "plan", "op": op, "value": value},
            st.sampled_from(("eq", "ne", "contains", "starts_with", "gt")),
            st.sampled_from((*PLANS, "ent", "P")),
        ),
        st.builds(
            lambda op, values: {"field": "plan", "op": op, "value": values},
            st.sampled_from(("in", "not_in")),
            st.lists(st.sampled_from(PLANS), min_size=1, max_size=2),
        ),
        st.builds(
            lambda f, op: {"field": f, "op": op},
            st.sampled_from(("plan", "stage", "tags", "seats", "renewal_date", "created_at")),
            st.sampled_from(("is_set", "is_not_set")),
        ),
        st.builds(
            lambda op, value: {"field": "seats", "op": op, "value": value},
            st.sampled_from(("eq", "ne", "lt", "lte", "gt", "gte")),
            st.integers(1, 120),
        ),
        st.builds(
            lambda op, values: {"field": "seats", "op": op, "value": values},
            st.sampled_from(("in", "not_in")),
            st.lists(st.integers(1, 120), min_size=1, max_size=3),
        ),
        st.builds(
            lambda op, value: {"field": "stage", "op": op, "value": value},
            st.sampled_from(("eq", "ne")),
            st.sampled_from(STAGES),
        ),
        st.builds(
            lambda f, op, days: {"field": f, "op": op, "value": days},
            st.sampled_from(("renewal_date", "signup_date", "created_at")),
            st.sampled_from(("within_last_days", "within_next_days")),
            st.integers(0, 10),
        ),
        st.builds(
            lambda op, tag: {"field": "tags", "op": op, "value": tag},
            st.sampled_from(("eq", "ne", "contains")),
            st.sampled_from(TAGS),
        ),
        st.builds(lambda tag: {"tag": tag}, st.sampled_from(TAGS)),
        activity_conditions(since),
        member_rollups(),
    )
    if depth == 0:
        return leaves
    inner = org_filters(since, depth - 1)
    return st.one_of(
        leaves,
        leaves,
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"all": items}),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: {"any": items}),
        inner.map(lambda item: {"not": item}),
    )


@st.composite
def member_rollups(draw) -> dict:
    """`{members: ..}` in each form: at least N (or the default 1), all, at least P %."""
    body: dict[str, Any] = {"filter": draw(contact_filters(depth=0))}
    form = draw(st.sampled_from(("default", "min", "all", "min_percent")))
    if form == "min":
        body["min"] = draw(st.integers(1, 3))
    elif form == "all":
        body["all"] = True
    elif form == "min_percent":
        body["min_percent"] = draw(st.sampled_from((0, 12.5, 33.3, 50, 66.67, 100)))
    return {"members": body}


@st.composite
def activity_conditions(draw, since: bool = False) -> dict:
    condition: dict[str, Any] = {"activity": draw(journey_types())}
    if draw(st.booleans()):
        condition["min_count"] = draw(st.integers(1, 3))
    window = draw(st.sampled_from(("none", "within", "since") if since else ("none", "within")))
    if window == "within":
        condition["within_days"] = draw(st.sampled_from((1, 2, 0.5)))
    elif window == "since":
        condition["since"] = "entry"
    if draw(st.integers(0, 3)) == 0:
        condition["where"] = {"template": draw(st.sampled_from(TEMPLATES))}
    return condition


def contact_filters(depth: int = 1):
    leaves = st.one_of(
        st.builds(
            lambda f, op: {"field": f, "op": op},
            st.sampled_from(("email", "phone", "role")),
            st.sampled_from(("is_set", "is_not_set")),
        ),
        st.builds(lambda value: {"field": "sms_opt_in", "op": "eq", "value": value}, st.booleans()),
        st.builds(
            lambda op, value: {"field": "role", "op": op, "value": value},
            st.sampled_from(("eq", "ne", "starts_with")),
            st.sampled_from((*ROLES, "ADMIN", "b")),
        ),
        st.builds(lambda tag: {"tag": tag}, st.sampled_from(TAGS)),
        activity_conditions(False),
    )
    if depth == 0:
        return leaves
    inner = contact_filters(depth - 1)
    return st.one_of(
        leaves,
        st.lists(inner, min_size=1, max_size=2).map(lambda items: {"any": items}),
        inner.map(lambda item: {"not": item}),
    )


@st.composite
def step_lists(draw, triggered: bool = False) -> list[dict]:
    """1-6 steps; jumps go forward, except from a delay or wait_for (a loop through a wait).

    `triggered`: the entry is an activity, so a send may go to `triggering_contacts`."""
    n = draw(st.integers(1, 6))
    ids = [f"s{i}" for i in range(n)]
    steps = []

    def forward(i: int):
        return st.sampled_from([*ids[i + 1 :], "end"])

    for i, step_id in enumerate(ids):
        sends_first = i == 0 and draw(st.booleans())
        waits_second = i == 1 and draw(st.booleans())
        action = (
            draw(st.sampled_from(("send_email", "send_sms")))
            if sends_first
            else draw(st.sampled_from(("delay", "wait_for")))
            if waits_second
            else draw(
                st.sampled_from(
                    (
                        "send_email",
                        "send_sms",
                        "delay",
                        "wait_for",
                        "delay",
                        "wait_for",
                        "condition",
                        "split",
                        "tag_org",
                        "update_org",
                        "exit",
                    )
                )
            )
        )
        step: dict[str, Any] = {"id": step_id}
        anywhere = st.sampled_from([*ids, "end"])
        if action in ("send_email", "send_sms"):
            step[action] = {"template": draw(st.sampled_from(TEMPLATES))}
            own = draw(st.integers(0, 7))
            if own <= 1:
                step["send_to"] = {"filter": draw(contact_filters())}
            elif own in (2, 3) and triggered:
                step["send_to"] = "triggering_contacts"
        elif action == "delay":
            step["delay"] = draw(
                st.one_of(
                    st.builds(lambda h: {"hours": h}, st.integers(1, 8)),
                    st.builds(lambda m: {"minutes": m}, st.sampled_from((30, 90, 150))),
                    st.just({"days": 1}),
                    st.builds(
                        lambda at, days: {"until": at, "weekdays": days} if days else {"until": at},
                        st.sampled_from(CLOCKS),
                        st.lists(st.sampled_from(WEEKDAYS), max_size=2, unique=True),
                    ),
                )
            )
        elif action == "wait_for":
            body: dict[str, Any] = {
                "activity": draw(journey_types()),
                "timeout": draw(
                    st.one_of(
                        st.builds(lambda h: {"hours": h}, st.integers(1, 6)),
                        st.just({"days": 1}),
                    )
                ),
            }
            if draw(st.integers(0, 3)) == 0:
                body["where"] = {"template": draw(st.sampled_from(TEMPLATES))}
            step["wait_for"] = body
            if draw(st.booleans()):
                step["then"] = draw(anywhere)
            if draw(st.booleans()):
                step["else"] = draw(anywhere)
        elif action == "condition":
            branches = [
                {"if": draw(org_filters(since=True, depth=1)), "goto": draw(forward(i))}
                for _ in range(draw(st.integers(1, 2)))
            ]
            if draw(st.booleans()):
                branches.append({"else": draw(forward(i))})
            step["condition"] = branches
        elif action == "split":
            first = draw(st.sampled_from((10, 25, 50, 90)))
            step["split"] = [
                {"percent": first, "goto": draw(forward(i))},
                {"percent": 100 - first, "goto": draw(forward(i))},
            ]
        elif action == "tag_org":
            body = {}
            if draw(st.booleans()):
                body["add"] = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
            if draw(st.booleans()) or not body:
                body["remove"] = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
            step["tag_org"] = body
        elif action == "update_org":
            step["update_org"] = draw(
                st.one_of(
                    st.builds(lambda v: {"field": "stage", "value": v}, st.sampled_from(STAGES)),
                    st.builds(lambda v: {"field": "seats", "value": v}, st.integers(1, 120)),
                )
            )
        else:
            step["exit"] = {}
        if action in ("delay", "wait_for"):
            if draw(st.integers(0, 3)) == 0:
                step["next"] = draw(anywhere)
        elif action not in ("exit", "split", "condition") and draw(st.integers(0, 4)) == 0:
            step["next"] = draw(forward(i))
        steps.append(step)
    return steps
