"""The reference model: journeys evaluated row at a time, in plain Python, from SPEC.

Nothing here shares code with the engine but the journey file model
(`orgjourney_pipeline.journeys.model`). Every window is evaluated as the contract orders it:
load the window's activity (late arrivals included); apply unsubscribes; record conversions;
exits; entries; steps; sends. Organizations are independent of one another, so the steps run
organization by organization; within one organization the enrollments move in lockstep
passes — each pass moves every enrollment one step, and a pass sees the organization as the
previous passes left it (the order of two enrollments of one organization is not in the
contract; lockstep is the order-free reading).

Choices the contract leaves open, and what the reference does (each a reading of SPEC):
- enrollment_id = md5(journey_id|org_id|window_key), send_id =
  md5(enrollment_id|step_id|contact_id|window_key), window_key = window end '%Y-%m-%dT%H:%MZ'.
- split: bucket int(md5(enrollment_id|step_id)[:8], 16) % 100 against cumulative percents.
- enrollment_steps.outcome: 'sent' (send steps), 'done' (tag_org, update_org),
  'goto:<target>' (condition, split), 'completed' (exit); a delay or wait_for is recorded
  once, 'waiting', in the run that reaches it.
- "Its contacts" (organization activity, recipients, wait_for, conversions) are the
  organization's members as of the run; the activity they count is every event processed
  by then (loaded, and `occurred_at` before the window end).
- `since: entry` counts activity with `occurred_at > entered_at`, as attribution does.
- A `members` roll-up counts the organization's members as of the run that the CRM has as
  contacts (a membership of an unknown contact is no member: it has nothing to match); with
  none, no roll-up matches. `min_percent` compares matching × 100 with P × members exactly.
- `send_to: triggering_contacts`: the contacts (members of the organization then) whose
  non-history activity of the entry's type and `where` processed in the entry's run made
  it enter; each send addresses those of them that are members as of the run. A step's
  `send_to` narrows the journey's (a recipient passes both).
- A wait_for goes to `then` on a matching activity processed in a run after the one that
  reached it (history, before the first window, triggers nothing).
- Filters: text compares ignore case; `ne` and `not_in` match an empty field; tags are
  lower-cased.
- Organization updates apply over the CRM snapshot in effect when they were made at or after
  its `snapshot_at`; a newer snapshot replaces them. Of two updates of one field, the later
  in the walk wins (within one pass, the greater enrollment_id).
- Unsubscribes: an audience scope applies to the audience if the contact's CRM row for it
  (as of the run) says `subscribed`, else globally; the later of the CRM snapshot and the
  newest unsubscribe event wins (on a tie the snapshot).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from orgjourney_pipeline import journeys as jm

from . import delivery, localtime

HOUR = timedelta(hours=1)
HOLD = "<held>"  # a walk decision: the send window holds the enrollment at its send step
KEYS = {
    "organizations": ("org_id",),
    "contacts": ("contact_id",),
    "memberships": ("contact_id", "org_id"),
    "subscriptions": ("contact_id", "audience"),
}
BUILTIN_ORG_FIELDS = {
    "org_id": "text",
    "name": "text",
    "tags": "list",
    "timezone": "text",
    "created_at": "timestamp",
}
BUILTIN_CONTACT_FIELDS = {
    "contact_id": "text",
    "email": "text",
    "phone": "text",
    "first_name": "text",
    "last_name": "text",
    "tags": "list",
    "sms_opt_in": "bool",
}

#: The compared output tables and their columns, in the order `run_reference` returns them.
TABLES: dict[str, tuple[str, ...]] = {
    "enrollments": (
        "enrollment_id",
        "journey_id",
        "journey_version",
        "org_id",
        "entered_at",
        "status",
        "current_step_id",
        "wake_at",
        "ended_at",
        "end_reason",
        "is_holdout",
    ),
    "enrollment_steps": ("enrollment_id", "step_id", "reached_at", "outcome"),
    "sends": (
        "send_id",
        "run_at",
        "journey_id",
        "journey_version",
        "step_id",
        "enrollment_id",
        "org_id",
        "contact_id",
        "channel",
        "address",
        "template",
        "counts_toward_caps",
    ),
    "suppressions": (
        "send_id",
        "run_at",
        "journey_id",
        "journey_version",
        "step_id",
        "enrollment_id",
        "org_id",
        "contact_id",
        "channel",
        "address",
        "template",
        "reason",
    ),
    "unsubscribes": ("contact_id", "audience", "unsubscribed_at", "journey_id", "event_id"),
    "org_updates": (
        "run_at",
        "org_id",
        "journey_id",
        "enrollment_id",
        "step_id",
        "kind",
        "name",
        "value",
    ),
    "conversions": (
        "enrollment_id",
        "journey_id",
        "journey_version",
        "org_id",
        "event_id",
        "contact_id",
        "converted_at",
        "last_step_id",
        "last_send_id",
    ),
}


# -- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A complete set of one kind as of `snapshot_at`, visible to runs after load `load`."""

    kind: str  # organizations | contacts | memberships | subscriptions
    snapshot_at: datetime
    rows: tuple[Mapping[str, Any], ...]
    load: int = 0


@dataclass(frozen=True)
class Activity:
    """One event; `load` is the ingest (load sequence) that brought it."""

    event_id: str
    contact_id: str
    activity_type: str
    occurred_at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)
    load: int = 0


@dataclass
class Inputs:
    """Everything ingested: typed snapshot rows, events in load order, custom field types."""

    snapshots: list[Snapshot]
    activities: list[Activity]  # in load order: of two with one event_id the first counts
    org_fields: dict[str, str] = field(default_factory=dict)  # custom field -> type
    contact_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Invocation:
    """One `run` invocation: its windows (by end), the journey files it read, what was loaded."""

    window_ends: tuple[datetime, ...]
    journeys: tuple[jm.Journey, ...]
    load: int
    delivery: jm.DeliveryRules | None = None  # the folder's delivery.yaml, if any


def run_reference(inputs: Inputs, invocations: Iterable[Invocation]) -> dict[str, list[tuple]]:
    """Evaluate every window of every invocation; return the output tables, rows sorted."""
    reference = Reference(inputs)
    for invocation in invocations:
        reference.invoke(invocation)
    return reference.tables()


def window_key(end: datetime) -> str:
    return end.strftime("%Y-%m-%dT%H:%MZ")


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sort_rows(rows: Iterable[tuple]) -> list[tuple]:
    """Rows in a total order that tolerates None and mixed types."""
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row))


# -- state ------------------------------------------------------------------------------------


@dataclass
class Enrollment:
    enrollment_id: str
    journey_id: str
    version: int
    org_id: str
    entered_at: datetime
    status: str = "active"
    step_id: str | None = None
    reached_at: datetime | None = None
    wake_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    arrived_now: bool = False
    triggering: frozenset[str] = frozenset()  # the contacts whose activity made it enter
    is_holdout: bool = False

    def row(self) -> tuple:
        active = self.status == "active"
        return (
            self.enrollment_id,
            self.journey_id,
            self.version,
            self.org_id,
            self.entered_at,
            self.status,
            self.step_id,
            self.wake_at if active else None,
            self.ended_at,
            self.end_reason,
            self.is_holdout,
        )


@dataclass
class OrgUpdate:
    run_at: datetime
    org_id: str
    journey_id: str
    enrollment_id: str
    step_id: str
    kind: str
    name: str
    value: str
    order: tuple  # (run_at, pass, enrollment_id, seq): later wins


@dataclass
class World:
    """The CRM as of one window end: rows by key (tags lower-cased)."""

    orgs: dict[str, dict]
    org_snapshot_at: datetime | None
    contacts: dict[str, dict]
    members_of_org: dict[str, list[str]]
    orgs_of_contact: dict[str, list[str]]
    subscriptions: dict[tuple[str, str], str]
    subscriptions_at: datetime | None


class Reference:
    """The whole warehouse state of the reference, window after window."""

    def __init__(self, inputs: Inputs):
        self.inputs = inputs
        self.org_types = {**BUILTIN_ORG_FIELDS, **inputs.org_fields}
        self.contact_types = {**BUILTIN_CONTACT_FIELDS, **inputs.contact_fields}
        self.enrollments: dict[str, Enrollment] = {}
        self.steps: list[tuple] = []  # (enrollment_id, step_id, reached_at, outcome, seq)
        self.sends: list[tuple] = []
        self.suppressions: list[tuple] = []
        self.unsubscribes: list[tuple] = []
        self.org_updates: list[OrgUpdate] = []
        self.conversions: dict[str, tuple] = {}
        self.seen_events: set[str] = set()
        self.pending: list[Activity] = []  # loaded, not processed yet
        self.consumed_loads = -1  # activities with load <= this have been queued
        self.events_of: dict[str, list[Activity]] = defaultdict(list)  # processed, by contact
        self.first_window_start: datetime | None = None
        self.last_window_end: datetime | None = None
        self.versions: dict[tuple[str, int], jm.Journey] = {}
        self.known: dict[str, jm.Journey] = {}  # journey id -> its latest definition
        self.entry_matches: dict[str, set[str]] = {}
        self.date_entries: set[tuple[str, str, date]] = set()

    # -- running ------------------------------------------------------------------------------

    def invoke(self, invocation: Invocation) -> None:
        """One `run`: the journey files are read once; then each unprocessed window in order."""
        current = {journey.id: journey for journey in invocation.journeys}
        for journey in invocation.journeys:
            self.versions[(journey.id, journey.version)] = journey
            self.known[journey.id] = journey
        self.current = current
        self.delivery = invocation.delivery
        self.queue_loaded(invocation.load)
        for end in invocation.window_ends:
            if self.last_window_end is not None and end <= self.last_window_end:
                continue  # already processed
            self.window(end - HOUR, end, invocation.load)
            self.last_window_end = end

    def queue_loaded(self, load: int) -> None:
        for activity in self.inputs.activities:
            if self.consumed_loads < activity.load <= load:
                if activity.event_id in self.seen_events:
                    continue
                self.seen_events.add(activity.event_id)
                self.pending.append(activity)
        self.consumed_loads = max(self.consumed_loads, load)

    def window(self, start: datetime, end: datetime, load: int) -> None:
        if self.first_window_start is None:
            self.first_window_start = start
        self.end, self.start, self.load = end, start, load
        self.key = window_key(end)
        self.triggered_by: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.world = self.world_at(end, load)
        self.org_cache: dict[str, dict] = {}

        # 1. The window's activity: its own, late arrivals, and (first window) all history.
        processed = [a for a in self.pending if a.occurred_at < end]
        self.pending = [a for a in self.pending if a.occurred_at >= end]
        processed.sort(key=lambda a: (a.occurred_at, a.event_id))
        for activity in processed:
            self.events_of[activity.contact_id].append(activity)
        self.processed = processed

        # 2. Unsubscribes.
        for activity in processed:
            if activity.activity_type == "unsubscribed":
                self.apply_unsubscribe(activity)

        # 3. Conversions, for enrollments that existed before this run, whatever their status.
        converted_now: set[str] = set()
        for enrollment in sorted(self.enrollments.values(), key=lambda e: e.enrollment_id):
            if self.record_conversion(enrollment):
                converted_now.add(enrollment.enrollment_id)

        # 4. Exits.
        for enrollment in sorted(self.enrollments.values(), key=lambda e: e.enrollment_id):
            if enrollment.status != "active":
                continue
            reason = self.exit_reason(enrollment, enrollment.enrollment_id in converted_now)
            if reason:
                enrollment.status = "exited"
                enrollment.ended_at = end
                enrollment.end_reason = reason

        # 5. Entries.
        new = self.entries()

        # 6. Steps: the active enrollments of published journeys and the new ones.
        moving: dict[str, list[Enrollment]] = defaultdict(list)
        for enrollment in sorted(self.enrollments.values(), key=lambda e: e.enrollment_id):
            if enrollment.status == "active" and self.state(enrollment.journey_id) == "published":
                enrollment.arrived_now = enrollment.enrollment_id in new
                moving[enrollment.org_id].append(enrollment)
        intents: list[tuple[Enrollment, jm.Step]] = []
        for org_id in sorted(moving):
            intents += self.walk(org_id, moving[org_id])

        # 7. Sends: every recipient's reason, then the frequency caps over the run's sends.
        would_be = [row for enrollment, step in intents for row in self.send(enrollment, step)]
        delivery.apply_caps(self.delivery, end, would_be, self.sends)
        for candidate in would_be:
            if candidate["reason"] is None:
                self.sends.append((*candidate["row"], not candidate["exempt"]))
            else:
                self.suppressions.append((*candidate["row"], candidate["reason"]))

    # -- the CRM as of a time -----------------------------------------------------------------

    def snapshot_rows(self, kind: str, at: datetime, load: int):
        """(snapshot_at, rows) of the latest snapshot of a kind at or before `at`."""
        candidates = [
            s
            for s in self.inputs.snapshots
            if s.kind == kind and s.load <= load and s.snapshot_at <= at
        ]
        if not candidates:
            return None, []
        latest = max(s.snapshot_at for s in candidates)
        rows: dict[tuple, Mapping] = {}
        for snapshot in candidates:
            if snapshot.snapshot_at == latest:
                for row in snapshot.rows:
                    rows.setdefault(tuple(row[k] for k in KEYS[kind]), row)
        return latest, list(rows.values())

    def world_at(self, at: datetime, load: int) -> World:
        org_at, org_rows = self.snapshot_rows("organizations", at, load)
        _, contact_rows = self.snapshot_rows("contacts", at, load)
        _, member_rows = self.snapshot_rows("memberships", at, load)
        subs_at, sub_rows = self.snapshot_rows("subscriptions", at, load)
        orgs = {row["org_id"]: _lower_tags(row) for row in org_rows}
        contacts = {row["contact_id"]: _lower_tags(row) for row in contact_rows}
        members: dict[str, list[str]] = defaultdict(list)
        orgs_of: dict[str, list[str]] = defaultdict(list)
        for row in member_rows:
            members[row["org_id"]].append(row["contact_id"])
            orgs_of[row["contact_id"]].append(row["org_id"])
        for values in (*members.values(), *orgs_of.values()):
            values.sort()
        subscriptions = {(row["contact_id"], row["audience"]): row["status"] for row in sub_rows}
        return World(orgs, org_at, contacts, members, orgs_of, subscriptions, subs_at)

    def org(self, org_id: str) -> dict | None:
        """The organization as journeys see it now: its CRM row with later step updates."""
        if org_id in self.org_cache:
            return self.org_cache[org_id]
        base = self.world.orgs.get(org_id)
        if base is None:
            self.org_cache[org_id] = None
            return None
        row = dict(base)
        since = self.world.org_snapshot_at
        updates = [
            u
            for u in self.org_updates
            if u.org_id == org_id and (since is None or u.run_at >= since) and u.run_at <= self.end
        ]
        updates.sort(key=lambda u: u.order)
        tags = list(row.get("tags") or [])
        for update in updates:
            if update.kind == "field":
                row[update.name] = _typed(update.value, self.org_types.get(update.name, "text"))
            elif update.kind == "tag_add":
                if update.name not in tags:
                    tags.append(update.name)
            elif update.name in tags:
                tags.remove(update.name)
        row["tags"] = tags
        self.org_cache[org_id] = row
        return row

    def members(self, org_id: str) -> list[str]:
        return self.world.members_of_org.get(org_id, [])

    # -- journeys -----------------------------------------------------------------------------

    def state(self, journey_id: str) -> str:
        journey = self.current.get(journey_id)
        return journey.state if journey is not None else "stopped"

    def version_of(self, enrollment: Enrollment) -> jm.Journey:
        return self.versions[(enrollment.journey_id, enrollment.version)]

    # -- unsubscribes -------------------------------------------------------------------------

    def apply_unsubscribe(self, activity: Activity) -> None:
        journey_id = activity.properties.get("journey_id")
        journey = self.known.get(journey_id) if isinstance(journey_id, str) else None
        audience = "*"
        if journey is not None and journey.unsubscribe is not None:
            status = self.world.subscriptions.get((activity.contact_id, journey.unsubscribe))
            if status == "subscribed":
                audience = journey.unsubscribe
        self.unsubscribes.append(
            (
                activity.contact_id,
                audience,
                activity.occurred_at,
                journey.id if journey is not None else None,
                activity.event_id,
            )
        )

    def unsubscribed(self, contact_id: str, audience: str) -> bool:
        latest = max(
            (
                at
                for contact, aud, at, _, _ in self.unsubscribes
                if contact == contact_id and aud == audience and at < self.end
            ),
            default=None,
        )
        status = self.world.subscriptions.get((contact_id, audience))
        if latest is None:
            return status == "unsubscribed"
        return status is None or status == "unsubscribed" or latest > self.world.subscriptions_at

    # -- conversions --------------------------------------------------------------------------

    def record_conversion(self, enrollment: Enrollment) -> bool:
        if enrollment.enrollment_id in self.conversions:
            return False
        attribution = self.version_of(enrollment).attribution
        if attribution is None:
            return False
        members = set(self.members(enrollment.org_id))
        within = timedelta(days=float(attribution.within_days))
        matches = [
            a
            for a in self.processed
            if a.activity_type == attribution.activity
            and a.contact_id in members
            and _where(attribution.where, a.properties)
            and enrollment.entered_at < a.occurred_at <= enrollment.entered_at + within
        ]
        if not matches:
            return False
        first = min(matches, key=lambda a: (a.occurred_at, a.event_id))
        reached = [
            (reached_at, seq, step_id)
            for eid, step_id, reached_at, _, seq in self.steps
            if eid == enrollment.enrollment_id and reached_at <= first.occurred_at
        ]
        last_step = max(reached)[2] if reached else None
        sends = [
            send
            for send in self.sends
            if send[5] == enrollment.enrollment_id and send[1] <= first.occurred_at
        ]
        last_send = None
        if sends:
            latest = max(send[1] for send in sends)
            same_run = [send for send in sends if send[1] == latest]
            by_contact = [send for send in same_run if send[7] == first.contact_id]
            last_send = min(send[0] for send in (by_contact or same_run))
        self.conversions[enrollment.enrollment_id] = (
            enrollment.enrollment_id,
            enrollment.journey_id,
            enrollment.version,
            enrollment.org_id,
            first.event_id,
            first.contact_id,
            first.occurred_at,
            last_step,
            last_send,
        )
        return True

    # -- exits --------------------------------------------------------------------------------

    def exit_reason(self, enrollment: Enrollment, converted_now: bool) -> str | None:
        state = self.state(enrollment.journey_id)
        if state not in ("published", "archived"):
            return None
        if self.org(enrollment.org_id) is None:
            return "org_deleted"
        if state == "archived":
            return "archived"
        journey = self.version_of(enrollment)
        exit_filter = journey.exit.filter if journey.exit is not None else None
        if exit_filter is not None and self.org_filter(
            exit_filter, enrollment.org_id, journey, enrollment
        ):
            return "exit_criteria"
        if converted_now and journey.exit is not None and journey.exit.on_conversion:
            return "converted"
        return None

    # -- entries ------------------------------------------------------------------------------

    def entries(self) -> set[str]:
        """Enroll every organization a published journey admits now; returns the new ids."""
        new: set[str] = set()
        for journey_id in sorted(self.current):
            journey = self.current[journey_id]
            if journey.state != "published":
                continue
            for org_id in sorted(self.candidates(journey)):
                if self.admits(journey, org_id):
                    enrollment = Enrollment(
                        md5(f"{journey.id}|{org_id}|{self.key}"),
                        journey.id,
                        journey.version,
                        org_id,
                        self.end,
                        triggering=frozenset(self.triggered_by.get((journey.id, org_id), ())),
                    )
                    if delivery.held_out(f"{journey.id}|{org_id}", journey.holdout_percent):
                        enrollment.status, enrollment.is_holdout = "completed", True
                        enrollment.ended_at, enrollment.end_reason = self.end, "holdout"
                    else:
                        self.start_at_first_step(enrollment, journey)
                    self.enrollments[enrollment.enrollment_id] = enrollment
                    new.add(enrollment.enrollment_id)
        return new

    def candidates(self, journey: jm.Journey) -> set[str]:
        entry = journey.entry
        orgs = sorted(self.world.orgs)

        def passes(org_id: str) -> bool:
            return entry.filter is None or self.org_filter(entry.filter, org_id, journey)

        if entry.when in ("filter", "tags"):
            level = {org_id for org_id in orgs if self.entry_level(journey, org_id)}
            previous = self.entry_matches.get(journey.id, set())
            self.entry_matches[journey.id] = level
            return level - previous
        # A published run of another entry kind matches nothing: a later filter or tags
        # version starts from no previous match.
        self.entry_matches[journey.id] = set()
        if entry.when == "activity":
            found = set()
            for activity in self.processed:
                if activity.occurred_at < self.first_window_start:
                    continue  # history triggers nothing
                if activity.activity_type != entry.activity:
                    continue
                if not _where(entry.where, activity.properties):
                    continue
                for org_id in self.world.orgs_of_contact.get(activity.contact_id, []):
                    found.add(org_id)
                    self.triggered_by[(journey.id, org_id)].add(activity.contact_id)
            return {org_id for org_id in found if org_id in self.world.orgs and passes(org_id)}
        if entry.when == "recurring":
            fires = localtime.recurring_fires(
                self.start,
                self.end,
                journey.timezone,
                entry.every,
                entry.at,
                tuple(entry.on),
                entry.day,
            )
            return {org_id for org_id in orgs if fires and passes(org_id)}
        if entry.when == "anniversary":
            days = localtime.scheduled_days(
                self.start, self.end, journey.timezone, entry.at, lambda day: True
            )
            found = set()
            for org_id in orgs:
                value = _as_date(self.org(org_id).get(entry.field))
                if value is None:
                    continue
                if any(localtime.is_anniversary(value, day) for day in days) and passes(org_id):
                    found.add(org_id)
            return found
        if entry.when == "approaching_date":
            today = localtime.today(self.end, journey.timezone)
            found = set()
            for org_id in orgs:
                value = _as_date(self.org(org_id).get(entry.field))
                if value is None:
                    continue
                if (journey.id, org_id, value) in self.date_entries:
                    continue
                if value - timedelta(days=entry.days_before) <= today <= value and passes(org_id):
                    found.add(org_id)
                    self.date_entries.add((journey.id, org_id, value))
            return found
        raise AssertionError(entry.when)

    def entry_level(self, journey: jm.Journey, org_id: str) -> bool:
        entry = journey.entry
        if entry.when == "tags":
            tags = self.org(org_id).get("tags") or []
            wanted = [tag.lower() for tag in entry.tags]
            has = [tag in tags for tag in wanted]
            if not (all(has) if entry.match == "all" else any(has)):
                return False
        return entry.filter is None or self.org_filter(entry.filter, org_id, journey)

    def admits(self, journey: jm.Journey, org_id: str) -> bool:
        if org_id not in self.world.orgs:
            return False
        rules = self.delivery
        if rules is not None and delivery.held_out(org_id, rules.global_holdout_percent):
            return False  # the global holdout enters no journey
        if journey.exit is not None and journey.exit.filter is not None:
            pending = Enrollment("", journey.id, journey.version, org_id, self.end)
            if self.org_filter(journey.exit.filter, org_id, journey, pending):
                return False
        theirs = [
            e
            for e in self.enrollments.values()
            if e.journey_id == journey.id and e.org_id == org_id
        ]
        if journey.frequency == "once":
            return not theirs
        if journey.frequency == "once_at_a_time":
            return not any(e.status == "active" for e in theirs)
        return True

    def start_at_first_step(self, enrollment: Enrollment, journey: jm.Journey) -> None:
        if not journey.steps:
            enrollment.status = "completed"
            enrollment.ended_at = self.end
            enrollment.end_reason = "completed"
            return
        self.arrive(enrollment, journey, journey.steps[0].id)

    def arrive(self, enrollment: Enrollment, journey: jm.Journey, step_id: str) -> None:
        enrollment.step_id = step_id
        enrollment.reached_at = self.end
        enrollment.wake_at = _wake_at(_step(journey, step_id), journey.timezone, self.end)
        enrollment.arrived_now = True

    # -- steps --------------------------------------------------------------------------------

    def walk(self, org_id: str, enrollments: list[Enrollment]) -> list[tuple]:
        """Move an organization's enrollments, pass by pass, until each waits or ends."""
        intents = []
        walk_pass = 0
        while True:
            walk_pass += 1
            self.org_cache.pop(org_id, None)
            decisions = []
            for enrollment in enrollments:
                if enrollment.status != "active":
                    continue
                journey = self.version_of(enrollment)
                step = _step(journey, enrollment.step_id)
                waits = isinstance(step, jm.Delay | jm.WaitFor)
                if enrollment.arrived_now and waits:
                    self.steps.append(
                        (enrollment.enrollment_id, step.id, self.end, "waiting", walk_pass)
                    )
                enrollment.arrived_now = False
                decision = self.act(enrollment, journey, step)
                if decision is not None:
                    decisions.append((enrollment, journey, step, *decision))
            if not decisions:
                return intents
            for enrollment, journey, step, target, outcome in decisions:
                if not isinstance(step, jm.Delay | jm.WaitFor) and target != HOLD:
                    self.steps.append(
                        (enrollment.enrollment_id, step.id, self.end, outcome, walk_pass)
                    )
                if target == HOLD:  # the send window holds it at the step: `outcome` opens it
                    self.steps.append(
                        (enrollment.enrollment_id, step.id, self.end, "held", walk_pass)
                    )
                    enrollment.reached_at, enrollment.wake_at = self.end, outcome
                    continue
                if isinstance(step, jm.SendEmail | jm.SendSms):
                    intents.append((enrollment, step))
                self.record_updates(enrollment, step, walk_pass)
                if target == "end":
                    enrollment.status = "completed"
                    enrollment.ended_at = self.end
                    enrollment.end_reason = "completed"
                else:
                    self.arrive(enrollment, journey, target)

    def act(self, enrollment: Enrollment, journey: jm.Journey, step: jm.Step):
        """(target, outcome) if the enrollment's step acts now, else None."""
        default = _following(journey, step)
        if isinstance(step, jm.Delay):
            if enrollment.wake_at <= self.end:
                return default, "due"
            return None
        if isinstance(step, jm.WaitFor):
            if enrollment.reached_at < self.end and self.org_had(enrollment.org_id, step):
                return step.then or default, "activity"
            if enrollment.wake_at <= self.end:
                return step.else_ or default, "timeout"
            return None
        if isinstance(step, jm.Condition):
            target = step.else_ or default
            for condition, goto in step.branches:
                if self.org_filter(condition, enrollment.org_id, journey, enrollment):
                    target = goto
                    break
            return target, f"goto:{target}"
        if isinstance(step, jm.Split):
            bucket = int(md5(f"{enrollment.enrollment_id}|{step.id}")[:8], 16) % 100
            low = 0
            for percent, goto in step.branches:
                if low <= bucket < low + percent:
                    return goto, f"goto:{goto}"
                low += percent
            raise AssertionError("split percents do not add up to 100")
        if isinstance(step, jm.ExitStep):
            return "end", "completed"
        if isinstance(step, jm.SendEmail | jm.SendSms):
            window = journey.send_window
            if window is None:
                return default, "sent"
            if enrollment.wake_at is not None and enrollment.wake_at <= self.end:
                return default, "sent"  # held before until an opening at or before now
            zone = journey.timezone
            org = self.org(enrollment.org_id) or {}
            if window.by_organization and delivery.known_zone(org.get("timezone")):
                zone = org["timezone"]
            if delivery.window_open(self.end, zone, window):
                return default, "sent"
            if enrollment.wake_at is None:
                return HOLD, delivery.window_opens_after(self.end, zone, window)
            return None  # held, the window not open yet
        return default, "done"  # tag_org, update_org

    def org_had(self, org_id: str, step: jm.WaitFor) -> bool:
        """A matching activity of the organization's contacts processed in this run."""
        members = set(self.members(org_id))
        return any(
            a.contact_id in members
            and a.occurred_at >= self.first_window_start
            and a.activity_type == step.activity
            and _where(step.where, a.properties)
            for a in self.processed
        )

    def record_updates(self, enrollment: Enrollment, step: jm.Step, walk_pass: int) -> None:
        changes = []
        if isinstance(step, jm.TagOrg):
            changes = [("tag_add", str(t).lower(), "") for t in step.add]
            changes += [("tag_remove", str(t).lower(), "") for t in step.remove]
        elif isinstance(step, jm.UpdateOrg):
            changes = [("field", step.field, _text(step.value))]
        for seq, (kind, name, value) in enumerate(changes, 1):
            self.org_updates.append(
                OrgUpdate(
                    self.end,
                    enrollment.org_id,
                    enrollment.journey_id,
                    enrollment.enrollment_id,
                    step.id,
                    kind,
                    name,
                    value,
                    (self.end, walk_pass, enrollment.enrollment_id, seq),
                )
            )

    # -- sends --------------------------------------------------------------------------------

    def send(self, enrollment: Enrollment, step: jm.SendEmail | jm.SendSms) -> list[dict]:
        """The step's recipients, each {row, reason (None: to send), and what the caps read}."""
        journey = self.version_of(enrollment)
        position = [s.id for s in journey.steps].index(step.id) + 1
        recipients = []
        channel = "email" if isinstance(step, jm.SendEmail) else "sms"
        send_tos = [s for s in (journey.send_to, step.send_to) if s is not None]  # narrowing
        for contact_id in self.members(enrollment.org_id):
            contact = self.world.contacts.get(contact_id)
            if contact is None:
                continue  # a membership of a contact the CRM does not have
            if not all(self.addresses(s, contact, enrollment, journey) for s in send_tos):
                continue
            address = contact.get("email") if channel == "email" else contact.get("phone")
            reason = None
            if self.unsubscribed(contact_id, "*"):
                reason = "unsubscribed_global"
            elif journey.unsubscribe is not None and self.unsubscribed(
                contact_id, journey.unsubscribe
            ):
                reason = "unsubscribed_audience"
            elif not address:
                reason = "no_email" if channel == "email" else "no_phone"
            elif channel == "sms" and not contact.get("sms_opt_in"):
                reason = "sms_not_opted_in"
            send_id = md5(f"{enrollment.enrollment_id}|{step.id}|{contact_id}|{self.key}")
            row = (
                send_id,
                self.end,
                enrollment.journey_id,
                enrollment.version,
                step.id,
                enrollment.enrollment_id,
                enrollment.org_id,
                contact_id,
                channel,
                address,
                step.template,
            )
            recipients.append(
                {
                    "row": row,
                    "reason": reason,
                    "priority": journey.priority,
                    "position": position,
                    "exempt": journey.cap_exempt,
                }
            )
        return recipients

    def addresses(self, send_to, contact: dict, enrollment: Enrollment, journey) -> bool:
        """Whether one `send_to` keeps the contact for a send of the enrollment."""
        if isinstance(send_to, jm.TriggeringContacts):
            return contact["contact_id"] in enrollment.triggering
        return self.contact_filter(send_to, contact, journey)

    # -- filters ------------------------------------------------------------------------------

    def org_filter(
        self,
        node: jm.Filter,
        org_id: str,
        journey: jm.Journey,
        enrollment: Enrollment | None = None,
    ) -> bool:
        row = self.org(org_id)
        if row is None:
            return False
        clock = (self.end, localtime.today(self.end, journey.timezone))
        entered_at = enrollment.entered_at if enrollment is not None else None
        return self.evaluate(node, row, self.org_types, self.members(org_id), clock, entered_at)

    def contact_filter(self, node: jm.Filter, contact: dict, journey: jm.Journey) -> bool:
        clock = (self.end, localtime.today(self.end, journey.timezone))
        return self.evaluate(
            node, contact, self.contact_types, [contact["contact_id"]], clock, None
        )

    def evaluate(self, node, row, types, contacts, clock, entered_at) -> bool:
        if isinstance(node, jm.AllOf):
            return all(
                self.evaluate(item, row, types, contacts, clock, entered_at) for item in node.items
            )
        if isinstance(node, jm.AnyOf):
            return any(
                self.evaluate(item, row, types, contacts, clock, entered_at) for item in node.items
            )
        if isinstance(node, jm.Not):
            return not self.evaluate(node.item, row, types, contacts, clock, entered_at)
        if isinstance(node, jm.TagCondition):
            return str(node.tag).lower() in (row.get("tags") or [])
        if isinstance(node, jm.ActivityCondition):
            now = clock[0]
            since = now - timedelta(days=float(node.within_days)) if node.within_days else None
            if node.within_days == 0:
                since = now
            count = 0
            for contact_id in contacts:
                for a in self.events_of.get(contact_id, ()):
                    if a.activity_type != node.activity or a.occurred_at >= now:
                        continue
                    if since is not None and a.occurred_at < since:
                        continue
                    if node.since == "entry" and not a.occurred_at > entered_at:
                        continue
                    if not _where(node.where, a.properties):
                        continue
                    count += 1
            return count >= node.min_count
        if isinstance(node, jm.FieldCondition):
            return _field_matches(node, row.get(node.field), types.get(node.field, "text"), clock)
        if isinstance(node, jm.MembersCondition):
            members = [self.world.contacts[c] for c in contacts if c in self.world.contacts]
            matching = sum(
                self.evaluate(node.filter, m, self.contact_types, [m["contact_id"]], clock, None)
                for m in members
            )
            if not members:
                return False
            if node.all:
                return matching == len(members)
            if node.min_percent is not None:
                return matching * 100 >= Fraction(node.min_percent) * len(members)
            return matching >= (node.min or 1)
        raise TypeError(node)

    # -- output -------------------------------------------------------------------------------

    def tables(self) -> dict[str, list[tuple]]:
        return {
            "enrollments": sort_rows(e.row() for e in self.enrollments.values()),
            "enrollment_steps": sort_rows(row[:4] for row in self.steps),
            "sends": sort_rows(self.sends),
            "suppressions": sort_rows(self.suppressions),
            "unsubscribes": sort_rows(self.unsubscribes),
            "org_updates": sort_rows(
                (
                    u.run_at,
                    u.org_id,
                    u.journey_id,
                    u.enrollment_id,
                    u.step_id,
                    u.kind,
                    u.name,
                    u.value,
                )
                for u in self.org_updates
            ),
            "conversions": sort_rows(self.conversions.values()),
        }

    def snapshot(self) -> Reference:
        """A deep copy (to evaluate a dry run and throw it away)."""
        return copy.deepcopy(self)


# -- helpers ----------------------------------------------------------------------------------


def _step(journey: jm.Journey, step_id: str) -> jm.Step:
    return next(step for step in journey.steps if step.id == step_id)


def _following(journey: jm.Journey, step: jm.Step) -> str:
    """Where a step goes by default: `next`, else the next step in the list, else the end."""
    if step.next:
        return step.next
    ids = [s.id for s in journey.steps]
    index = ids.index(step.id)
    return ids[index + 1] if index + 1 < len(ids) else "end"


def _wake_at(step: jm.Step, timezone: str, reached_at: datetime) -> datetime | None:
    if isinstance(step, jm.Delay):
        if step.until is not None:
            return localtime.next_local_time(reached_at, timezone, step.until, step.weekdays)
        return localtime.add_duration(
            reached_at, timezone, step.minutes or 0, step.hours or 0, step.days or 0
        )
    if isinstance(step, jm.WaitFor):
        t = step.timeout
        return localtime.add_duration(
            reached_at, timezone, t.minutes or 0, t.hours or 0, t.days or 0
        )
    return None


def _lower_tags(row: Mapping) -> dict:
    copy_ = dict(row)
    copy_["tags"] = [str(tag).lower() for tag in (row.get("tags") or [])]
    return copy_


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_text(value: Any) -> str | None:
    """A property value as JSON text without quotes (what a where clause compares to)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _where(where: Mapping | None, properties: Mapping) -> bool:
    if not where:
        return True
    return all(_json_text(properties.get(key)) == _text(value) for key, value in where.items())


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _typed(text: str, field_type: str) -> Any:
    """A step's field value (text) as the field's type; None when it does not parse."""
    try:
        if field_type == "number":
            return float(text)
        if field_type == "date":
            return date.fromisoformat(text)
        if field_type == "timestamp":
            return datetime.fromisoformat(text)
        if field_type == "bool":
            return {"true": True, "false": False}[text.lower()]
    except (ValueError, KeyError):
        return None
    return text


def _literal(value: Any, field_type: str) -> Any:
    """A filter's value in the field's type (text lower-cased)."""
    if field_type == "number":
        return float(_text(value))
    if field_type == "date":
        return date.fromisoformat(_text(value)[:10])
    if field_type == "timestamp":
        return _utc(datetime.fromisoformat(_text(value).replace("Z", "").replace("z", "")))
    if field_type == "bool":
        return _text(value).lower() in ("true", "yes", "1")
    return _text(value).lower()


def _utc(moment: datetime) -> datetime:
    """An instant as naive UTC (SPEC §1: a timestamp without an offset is UTC)."""
    if moment.tzinfo is None:
        return moment
    return (moment - moment.utcoffset()).replace(tzinfo=None)


def _subject(value: Any, field_type: str) -> Any:
    if field_type == "text":
        return _text(value).lower()
    if field_type == "number":
        return float(value)
    return value


def _field_matches(node: jm.FieldCondition, value: Any, field_type: str, clock) -> bool:
    op = node.op
    if field_type == "list":
        tags = [str(t).lower() for t in (value or [])]
        if op == "is_set":
            return bool(tags)
        if op == "is_not_set":
            return not tags
        if op in ("eq", "contains"):
            return str(node.value).lower() in tags
        if op == "ne":
            return str(node.value).lower() not in tags
        if op == "in":
            return any(str(v).lower() in tags for v in node.value)
        if op == "not_in":
            return not any(str(v).lower() in tags for v in node.value)
        raise AssertionError(op)
    empty = value is None or (field_type == "text" and value == "")
    if op == "is_set":
        return not empty
    if op == "is_not_set":
        return empty
    if value is None:
        return op in ("ne", "not_in")
    if op in ("within_last_days", "within_next_days"):
        now, today = clock
        span = timedelta(days=float(node.value))
        if field_type == "date":
            low, high = (today - span, today) if op == "within_last_days" else (today, today + span)
            return low <= _as_date(value) <= high
        low, high = (now - span, now) if op == "within_last_days" else (now, now + span)
        return low <= value <= high
    subject = _subject(value, field_type)
    if op in ("in", "not_in"):
        options = [_literal(item, field_type) for item in node.value]
        return (subject in options) == (op == "in")
    literal = _literal(node.value, field_type)
    if op == "contains":
        return literal in subject
    if op == "starts_with":
        return subject.startswith(literal)
    return {
        "eq": subject == literal,
        "ne": subject != literal,
        "lt": subject < literal,
        "lte": subject <= literal,
        "gt": subject > literal,
        "gte": subject >= literal,
    }[op]


# -- reading an ingested warehouse ------------------------------------------------------------


def inputs_from_warehouse(con) -> Inputs:
    """The raw inputs of an ingested warehouse (plain `select`s; all evaluation stays in Python).

    Snapshots are rebuilt from the `*_versions` history at each `snapshot_at`; each snapshot and
    event keeps the load sequence that brought it.
    """
    types = {"organizations": {}, "contacts": {}}
    for kind, name, field_type in con.execute(
        "select kind, name, type from custom_fields"
    ).fetchall():
        types[kind][name] = field_type
    snapshots = []
    tables = {
        "organizations": "organization_versions",
        "contacts": "contact_versions",
        "memberships": "membership_versions",
        "subscriptions": "subscription_versions",
    }
    for kind, table in tables.items():
        cursor = con.execute(f"select * from {table}")
        columns = [d[0] for d in cursor.description]
        versions = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        times = con.execute(
            "select snapshot_at, min(load_seq) from snapshot_files where kind = ?"
            " group by snapshot_at order by snapshot_at",
            [kind],
        ).fetchall()
        for snapshot_at, load in times:
            rows = tuple(
                {k: v for k, v in row.items() if k not in ("valid_from", "valid_to", "row_hash")}
                for row in versions
                if row["valid_from"] <= snapshot_at
                and (row["valid_to"] is None or row["valid_to"] > snapshot_at)
            )
            snapshots.append(Snapshot(kind, snapshot_at, rows, load))
    activities = [
        Activity(event_id, contact_id, activity_type, occurred_at, json.loads(props or "{}"), load)
        for event_id, contact_id, activity_type, occurred_at, props, load in con.execute(
            "select event_id, contact_id, activity_type, occurred_at, properties, load_seq"
            " from activities order by load_seq, file, row_number"
        ).fetchall()
    ]
    return Inputs(snapshots, activities, types["organizations"], types["contacts"])


def run_reference_on_warehouse(
    con, journeys: Iterable[jm.Journey], start: datetime, through: datetime
) -> dict[str, list[tuple]]:
    """The reference over an ingested warehouse: one invocation, windows `start`..`through`."""
    inputs = inputs_from_warehouse(con)
    load = max([a.load for a in inputs.activities] + [s.load for s in inputs.snapshots] + [0])
    ends = []
    end = start + HOUR
    while end <= through:
        ends.append(end)
        end += HOUR
    return run_reference(inputs, [Invocation(tuple(ends), tuple(journeys), load)])
