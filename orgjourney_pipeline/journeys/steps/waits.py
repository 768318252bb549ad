"""Steps that wait: `delay` and `wait_for` (SPEC section 3, Steps; section 2, Time).

A wait is a state: the enrollment stays at the step until the first run whose window end is
at or after its `wake_at` (a delay's end, a wait_for's timeout), so waits that fell due
during a pause proceed once the journey is published again. A wait_for also goes on, to
`then`, in the run that processes a matching organization activity after the step was
reached (which beats a timeout falling due in the same run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys import schedule
from orgjourney_pipeline.journeys.canonical import canonical
from orgjourney_pipeline.journeys.model import Duration
from orgjourney_pipeline.journeys.sqlexpr import where_properties
from orgjourney_pipeline.journeys.steps.base import Step, step_literals
from orgjourney_pipeline.journeys.templates import relation


@dataclass(frozen=True)
class Delay(Step):
    """`delay: {minutes/hours/days: N}` or `delay: {until: "HH:MM", weekdays: [..]}`."""

    minutes: float | None = None
    hours: float | None = None
    days: float | None = None
    until: str | None = None
    weekdays: tuple[str, ...] = ()
    ACTION: ClassVar[str] = "delay"
    WAITS: ClassVar[bool] = True
    OUTCOME: ClassVar[str] = "due"

    @classmethod
    def read(cls, reader, source, common):
        where = f"{source.where}.delay"
        body = reader.mapping(source.body, where, source.body_line)
        if body is None:
            return None
        reader.known_keys(body, ("minutes", "hours", "days", "until", "weekdays"), where)
        duration = {key: reader.number(body, key, where) for key in ("minutes", "hours", "days")}
        until = reader.clock(body, "until", where)
        weekdays = reader.weekdays(body, "weekdays", where)
        has_duration = any(key in body for key in duration)
        if has_duration and "until" in body:
            reader.error(source.body_line, f"{where}: give minutes/hours/days or until, not both")
        elif not has_duration and "until" not in body and set(body) <= {"weekdays"}:
            reader.error(source.body_line, f"{where}: give minutes, hours or days, or until")
        if weekdays and "until" not in body:
            reader.error(reader.line_of(body, "weekdays"), f"{where}.weekdays: needs `until`")
        return cls(until=until, weekdays=weekdays, **duration, **common)

    def body_definition(self) -> Any:
        if self.until is None:
            return Duration(self.minutes, self.hours, self.days).definition()
        body: dict[str, Any] = {"until": self.until}
        if self.weekdays:
            body["weekdays"] = list(self.weekdays)
        return body

    def wake_at(self, timezone, reached_at):
        if self.until is not None:
            clock = schedule.parse_clock(self.until)
            return schedule.next_local_time(reached_at, timezone, clock, tuple(self.weekdays))
        return schedule.add_duration(
            reached_at,
            timezone,
            minutes=self.minutes or 0,
            hours=self.hours or 0,
            days=self.days or 0,
        )


@dataclass(frozen=True)
class WaitFor(Step):
    """`wait_for: {activity, where, timeout}`, `then: id`, `else: id`."""

    activity: str
    timeout: Duration
    where: Mapping[str, Any] | None = None
    then: str | None = None
    else_: str | None = field(default=None)
    ACTION: ClassVar[str] = "wait_for"
    STEP_KEYS: ClassVar[tuple[str, ...]] = ("then", "else")
    WAITS: ClassVar[bool] = True
    WAITS_FOR_ACTIVITY: ClassVar[bool] = True
    OUTCOME: ClassVar[str] = "timeout"
    ACTIVITY_OUTCOME: ClassVar[str] = "activity"

    @classmethod
    def read(cls, reader, source, common):
        node, step_where = source.node, source.where
        where = f"{step_where}.wait_for"
        body = reader.mapping(source.body, where, source.body_line)
        if body is None:
            return None
        reader.known_keys(body, ("activity", "where", "timeout", "then", "else"), where)
        activity = reader.text(body, "activity", where)
        timeout = reader.duration(body, "timeout", where)
        targets = {}
        for key in ("then", "else"):  # on the step, or inside wait_for
            holder = node if key in node else body
            targets[key] = reader.text(
                holder, key, step_where if holder is node else where, required=False
            )
            if targets[key] is not None:
                reader.note_target(
                    common["id"], key, targets[key], reader.line_of(holder, key, common["line"])
                )
        if activity is None or timeout is None:
            return None
        return cls(
            activity=activity,
            timeout=timeout,
            where=reader.where_map(body, "where", where),
            then=targets["then"],
            else_=targets["else"],
            **common,
        )

    def body_definition(self) -> Any:
        body: dict[str, Any] = {"activity": self.activity, "timeout": self.timeout.definition()}
        if self.where:
            body["where"] = canonical(self.where)
        return body

    def step_keys_definition(self) -> dict[str, Any]:
        keys = {"then": self.then, "else": self.else_}
        return {key: target for key, target in keys.items() if target is not None}

    def targets(self, default):
        return [("then", self.then or default), ("else", self.else_ or default)]

    def journey_step(self, journey, default_next):
        return {
            **super().journey_step(journey, default_next),
            "activity_outcome": self.ACTIVITY_OUTCOME,
            "then_step_id": self.then or default_next,
            "else_step_id": self.else_ or default_next,
        }

    def wake_at(self, timezone, reached_at):
        timeout = self.timeout
        return schedule.add_duration(
            reached_at,
            timezone,
            minutes=timeout.minutes or 0,
            hours=timeout.hours or 0,
            days=timeout.days or 0,
        )

    def relations(self, journey, context):
        match = relation(
            "wait_match",
            **step_literals(journey, self),
            activity_type=self.activity,
            properties_match=where_properties(self.where or {}, exp.column("properties", "a")),
        )
        return {"wait_matches": [match]}
