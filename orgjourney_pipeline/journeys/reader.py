"""Reading YAML nodes into values, collecting `file:line` problems instead of raising.

`NodeReader` is what every kind's `read` receives: it knows the file, where each key and item
of the document is, and how to read the common shapes (text, bounded numbers, lists of words,
`HH:MM`, durations, `where` maps) with one message style for what is wrong.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

from orgjourney_pipeline.journeys.canonical import plain
from orgjourney_pipeline.journeys.model import CLOCK_PATTERN, NUMBER_BOUNDS, WEEKDAYS, Duration
from orgjourney_pipeline.journeys.problems import ERROR, WARNING, Problem, describe, hint, near


class NodeReader:
    """Reads the nodes of one journey file; its problems accumulate in `problems`."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.journey_id: str | None = None
        # (step id, label, target) -> the line where the step names that target
        self.target_lines: dict[tuple[str, str, str], int] = {}

    # positions and problems -----------------------------------------------------------------

    @staticmethod
    def line_of(node: Any, key: Any = None, default: int = 1) -> int:
        """The 1-based line of `node` (or of its key or item `key`), else `default`."""
        lc = getattr(node, "lc", None)
        if lc is None:
            return default
        try:
            if key is not None:
                if isinstance(node, Mapping):
                    return lc.key(key)[0] + 1
                return lc.item(key)[0] + 1
            return lc.line + 1
        except (KeyError, IndexError, TypeError, AttributeError):
            return default

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message, ERROR, self.journey_id))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message, WARNING, self.journey_id))

    @property
    def failed(self) -> bool:
        """Whether an error has been reported so far."""
        return any(problem.severity == ERROR for problem in self.problems)

    def note_target(self, step_id: str, label: str, target: str, line: int) -> None:
        """Remember where a step names a target, to point there if the target is unknown."""
        self.target_lines.setdefault((step_id, label, target), line)

    # shapes ---------------------------------------------------------------------------------

    def mapping(self, node: Any, where: str, line: int) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        self.error(line, f"{where}: expected a mapping, got {describe(node)}")
        return None

    def known_keys(self, node: Mapping, allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(
                    self.line_of(node, key),
                    f"{where}: unknown key '{key}'" + hint(str(key), allowed),
                )

    def timezone(self, node: Mapping, where: str) -> str:
        """The node's `timezone` (default UTC); an unknown zone is an error with did-you-mean."""
        timezone = self.text(node, "timezone", where, required=False) or "UTC"
        if node.get("timezone") == "" or not valid_timezone(timezone):
            self.error(
                self.line_of(node, "timezone"),
                f"timezone: unknown time zone '{timezone}'" + near(timezone, _known_timezones()),
            )
        return timezone

    def text(self, node: Mapping, key: str, where: str, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.error(self.line_of(node), f"{where}: '{key}' is required")
            return None
        if isinstance(value, Mapping | list | bool):
            self.error(
                self.line_of(node, key), f"{where}.{key}: expected text, got {describe(value)}"
            )
            return None
        return str(value)

    def number(
        self, node: Mapping, key: str, where: str, *, integer: bool = False
    ) -> float | int | None:
        """The number at `key`, within its `NUMBER_BOUNDS`; None if absent or reported."""
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(
                self.line_of(node, key), f"{where}.{key}: expected a number, got {describe(value)}"
            )
            return None
        if not self.in_bounds(node, key, f"{where}.{key}", value):
            return None
        if integer and int(value) != value:
            self.error(self.line_of(node, key), f"{where}.{key}: expected a whole number")
            return None
        return int(value) if integer else value

    def in_bounds(
        self, node: Mapping, key: str, label: str, value: float, bounds: str | None = None
    ) -> bool:
        """Whether a number is within the bounds of its key (or of `bounds`); reports if not."""
        low, high = NUMBER_BOUNDS[bounds or key]
        if value < low:
            self.error(self.line_of(node, key), f"{label}: must be at least {low}")
            return False
        if not value <= high:  # also NaN
            self.error(self.line_of(node, key), f"{label}: must be {low}..{high}")
            return False
        return True

    def choice(self, node: Mapping, key: str, options: tuple[str, ...], default: str) -> str:
        value = node.get(key, default)
        if value not in options:
            self.error(
                self.line_of(node, key),
                f"{key}: '{value}' is not one of: {', '.join(options)}" + near(str(value), options),
            )
            return default
        return value

    def where_map(self, node: Mapping, key: str, where: str) -> Mapping | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.error(
                self.line_of(node, key),
                f"{where}.{key}: expected a mapping of property: value, got {describe(value)}",
            )
            return None
        for prop, item in value.items():
            if prop is None or str(prop) == "":
                self.error(self.line_of(value, prop), f"{where}.{key}: a property name is empty")
            elif isinstance(item, Mapping | list):
                self.error(
                    self.line_of(value, prop), f"{where}.{key}.{prop}: expected a plain value"
                )
        return {str(k): plain(v) for k, v in value.items()}

    def word_list(self, node: Mapping, key: str, where: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, Mapping | list) for v in value):
            self.error(self.line_of(node, key), f"{where}.{key}: expected a list of words")
            return ()
        return tuple(str(v) for v in value)

    def weekdays(self, node: Mapping, key: str, where: str) -> tuple[str, ...]:
        """A list of weekday names (any case), each checked."""
        days = tuple(day.lower() for day in self.word_list(node, key, where))
        for day in days:
            if day not in WEEKDAYS:
                self.error(
                    self.line_of(node, key),
                    f"{where}.{key}: '{day}' is not a weekday" + near(day, WEEKDAYS),
                )
        return days

    def clock(self, node: Mapping, key: str, where: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        text = str(value)
        if not CLOCK_PATTERN.fullmatch(text):
            self.error(self.line_of(node, key), f"{where}.{key}: expected HH:MM, got '{text}'")
            return None
        return text

    def duration(self, node: Mapping, key: str, where: str) -> Duration | None:
        body = node.get(key)
        if body is None:
            self.error(
                self.line_of(node), f"{where}: '{key}' is required (e.g. {key}: {{days: 3}})"
            )
            return None
        body = self.mapping(body, f"{where}.{key}", self.line_of(node, key))
        if body is None:
            return None
        self.known_keys(body, ("minutes", "hours", "days"), f"{where}.{key}")
        values = {k: self.number(body, k, f"{where}.{key}") for k in ("minutes", "hours", "days")}
        if all(v is None for v in values.values()):
            if not body:  # a wrong key or value is already reported
                self.error(self.line_of(node, key), f"{where}.{key}: give minutes, hours or days")
            return None
        return Duration(**values)


def valid_timezone(name: str) -> bool:
    """An IANA zone name; not machine-specific files such as `localtime`."""
    known = _known_timezones()
    if known and name not in known:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
