"""Journey files -> checked, immutable journeys; problems as `file:line: message`.

A journey file is YAML 1.2 (`on`, `yes` and `no` are plain words). Reading never raises on a
bad file: every problem becomes a `Problem` naming the file, the line and the field, and a
file with an error yields no journey. Field names are checked separately (`fields`), because
the known custom fields come from the warehouse.

Example:
    >>> journey = journey_from_definition({
    ...     "id": "welcome", "name": "Welcome", "version": 1,
    ...     "entry": {"when": "tags", "tags": ["trial"]},
    ...     "steps": [{"id": "hello", "send_email": {"template": "welcome-1"}}]})
    >>> journey.entry.tags, journey.steps[0].ACTION, journey.frequency
    (('trial',), 'send_email', 'once')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orgjourney_pipeline.journeys import graph
from orgjourney_pipeline.journeys.canonical import plain
from orgjourney_pipeline.journeys.delivery import (
    DELIVERY_FILES,
    JOURNEY_DELIVERY_KEYS,
    read_journey_delivery,
)
from orgjourney_pipeline.journeys.entries import ENTRY_KINDS, EntryKind
from orgjourney_pipeline.journeys.filters import FilterContext, read_filter_at
from orgjourney_pipeline.journeys.model import (
    FREQUENCIES,
    ID_PATTERN,
    STATES,
    Attribution,
    Exit,
    Journey,
)
from orgjourney_pipeline.journeys.problems import Problem, describe, hint, near
from orgjourney_pipeline.journeys.reader import NodeReader
from orgjourney_pipeline.journeys.recipients import read_send_to, triggering_send_tos
from orgjourney_pipeline.journeys.steps import Step, read_step
from orgjourney_pipeline.journeys.yamlfile import read_yaml

JOURNEY_KEYS = (
    "id",
    "name",
    "version",
    "state",
    "timezone",
    "entry",
    "frequency",
    "exit",
    "send_to",
    "unsubscribe",
    "attribution",
    "steps",
    "description",
    *JOURNEY_DELIVERY_KEYS,
)
JOURNEY_SUFFIXES = (".yaml", ".yml")


def journey_files(folder: Path) -> list[Path]:
    """The journey files of a folder, in name order (hidden files, such as editors', aside)."""
    return sorted(
        path
        for path in Path(folder).iterdir()
        if path.suffix in JOURNEY_SUFFIXES
        and not path.name.startswith(".")
        and path.name not in DELIVERY_FILES  # the rules across journeys, not a journey
    )


def load_journeys(folder: Path) -> tuple[list[Journey], list[Problem]]:
    """Every journey file in a folder, in name order.

    A file with an error yields no journey; a second file with an id already seen is an error.
    """
    journeys: list[Journey] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in journey_files(folder):
        journey, file_problems = load_journey(path)
        problems.extend(file_problems)
        if journey is None:
            continue
        if journey.id in seen:
            message = f"id: journey '{journey.id}' is already defined in {seen[journey.id]}"
            problems.append(
                Problem(str(path), journey.lines.get("id", 1), message, journey_id=journey.id)
            )
            continue
        seen[journey.id] = str(path)
        journeys.append(journey)
    return journeys, problems


def load_journey(path: Path) -> tuple[Journey | None, list[Problem]]:
    """Read one journey file; returns (journey or None, problems)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(str(path), 1, f"cannot read the file: {error}")]
    return parse_journey_text(text, str(path))


def parse_journey_text(text: str, source: str) -> tuple[Journey | None, list[Problem]]:
    """Parse the YAML text of one journey; returns (journey or None, problems)."""
    parsed = read_yaml(text)
    if parsed.syntax_error is not None:
        return None, [Problem(source, *parsed.syntax_error)]
    return JourneyReader(source, parsed.alias_problem).journey(parsed.document)


def journey_from_definition(definition: Mapping[str, Any], source: str = "") -> Journey:
    """A journey from a stored definition (plain dicts); raises ValueError if it is invalid."""
    document = dict(definition)
    document.setdefault("state", "published")
    journey, problems = JourneyReader(source or "<definition>").journey(document)
    if journey is None:
        raise ValueError("; ".join(str(p) for p in problems))
    return journey


class JourneyReader(NodeReader):
    """Turns a parsed YAML document into a Journey, collecting problems with line numbers."""

    def __init__(self, source: str, alias_problem: tuple[int, str] | None = None):
        super().__init__(source)
        self.alias_problem = alias_problem  # (line, message): reading on would expand it

    def journey(self, document: Any) -> tuple[Journey | None, list[Problem]]:
        if not isinstance(document, Mapping):
            self.error(1, f"a journey file holds a mapping, got {describe(document)}")
            return None, self.problems
        doc = document
        self.known_keys(doc, JOURNEY_KEYS, "journey")
        journey_id = self.identity(doc)
        if self.alias_problem is not None:
            self.error(*self.alias_problem)
            return None, self.problems
        parts = {
            "name": self.text(doc, "name", "journey", required=False) or journey_id or "",
            "version": self.version(doc),
            "state": self.choice(doc, "state", STATES, "draft"),
            "frequency": self.choice(doc, "frequency", FREQUENCIES, "once"),
            "timezone": self.timezone(doc, "journey"),
            "entry": self.entry(doc),
            "exit": self.exit(doc),
            "send_to": read_send_to(self, doc, "send_to", "send_to"),
            "unsubscribe": self.unsubscribe(doc),
            "attribution": self.attribution(doc),
            "steps": self.steps(doc),
            **read_journey_delivery(self, doc),
        }
        self.check_triggering_contacts(parts["entry"], parts["send_to"], parts["steps"])
        exit_, attribution = parts["exit"], parts["attribution"]
        if exit_ is not None and exit_.on_conversion and attribution is None:
            self.error(
                self.line_of(doc, "exit"),
                "exit.on_conversion: needs an `attribution` activity to convert on",
            )
        if self.failed:
            return None, self.problems
        journey = Journey(
            id=journey_id, source=self.source, raw=plain(doc), lines=self.key_lines(doc), **parts
        )
        return journey, self.problems

    def check_triggering_contacts(self, entry, send_to, steps) -> None:
        """`send_to: triggering_contacts` needs an `activity` entry (SPEC: else an error)."""
        if entry is None or entry.when == "activity":
            return
        for where, node in triggering_send_tos(send_to, steps):
            self.error(
                node.line,
                f"{where}: triggering_contacts are the contacts whose activity made the "
                f"organization enter; it needs `entry.when: activity`, not {entry.when}",
            )

    def identity(self, doc: Mapping) -> str | None:
        journey_id = self.text(doc, "id", "journey")
        if journey_id is not None:
            self.journey_id = journey_id
            if not ID_PATTERN.fullmatch(journey_id):
                self.error(
                    self.line_of(doc, "id"),
                    f"id: '{journey_id}' must use only a-z, 0-9, '_' and '-'",
                )
        return journey_id

    def version(self, doc: Mapping) -> int | None:
        version = doc.get("version")
        if version is None:
            self.error(self.line_of(doc), "journey: 'version' is required")
        elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.error(self.line_of(doc, "version"), "version: expected a whole number >= 1")
        elif self.in_bounds(doc, "version", "version", version):
            return version
        return None

    def key_lines(self, doc: Mapping) -> dict[str, int]:
        """Lines of the top-level keys, and of the entry's keys as `entry.<key>`."""
        lines = {str(key): self.line_of(doc, key) for key in doc}
        entry = doc.get("entry")
        if isinstance(entry, Mapping):
            lines.update({f"entry.{key}": self.line_of(entry, key) for key in entry})
        return lines

    def entry(self, doc: Mapping) -> EntryKind | None:
        if doc.get("entry") is None:
            self.error(
                self.line_of(doc, "entry", self.line_of(doc)), "journey: 'entry' is required"
            )
            return None
        node = self.mapping(doc["entry"], "entry", self.line_of(doc, "entry"))
        if node is None:
            return None
        when = node.get("when")
        kinds = tuple(ENTRY_KINDS)
        if when is None:
            self.error(
                self.line_of(node), f"entry: 'when' is required (one of: {', '.join(kinds)})"
            )
            return None
        if when not in ENTRY_KINDS:
            self.error(
                self.line_of(node, "when", self.line_of(node)),
                f"entry.when: '{when}' is not one of: {', '.join(kinds)}" + near(str(when), kinds),
            )
            return None
        kind = ENTRY_KINDS[when]
        self.known_keys(node, ("when", *kind.KEYS, "filter"), f"entry ({when})")
        entry_filter = read_filter_at(
            self, node, "filter", "entry.filter", FilterContext("org", since_allowed=False)
        )
        return kind.read(self, node, entry_filter)

    def exit(self, doc: Mapping) -> Exit | None:
        if doc.get("exit") is None:
            return None
        node = self.mapping(doc["exit"], "exit", self.line_of(doc, "exit"))
        if node is None:
            return None
        self.known_keys(node, ("filter", "on_conversion"), "exit")
        on_conversion = node.get("on_conversion", False)
        if not isinstance(on_conversion, bool):
            self.error(
                self.line_of(node, "on_conversion"), "exit.on_conversion: expected true or false"
            )
            on_conversion = False
        exit_filter = read_filter_at(
            self, node, "filter", "exit.filter", FilterContext("org", since_allowed=True)
        )
        if exit_filter is None and not on_conversion:
            return None  # `exit: {}` says nothing
        return Exit(filter=exit_filter, on_conversion=on_conversion)

    def unsubscribe(self, doc: Mapping) -> str | None:
        value = doc.get("unsubscribe")
        if value is None or value == "global":
            return None
        if isinstance(value, Mapping) and set(value) == {"audience"} and value["audience"]:
            audience = str(value["audience"])
            return None if audience == "*" else audience
        self.error(
            self.line_of(doc, "unsubscribe"), "unsubscribe: expected `global` or {audience: NAME}"
        )
        return None

    def attribution(self, doc: Mapping) -> Attribution | None:
        if doc.get("attribution") is None:
            return None
        node = self.mapping(doc["attribution"], "attribution", self.line_of(doc, "attribution"))
        if node is None:
            return None
        self.known_keys(node, ("activity", "within_days", "where"), "attribution")
        activity = self.text(node, "activity", "attribution")
        within = self.number(node, "within_days", "attribution")
        return Attribution(
            activity=activity or "",
            within_days=30 if within is None else within,
            where=self.where_map(node, "where", "attribution"),
        )

    def steps(self, doc: Mapping) -> tuple[Step, ...]:
        nodes = doc.get("steps")
        if nodes is None:
            nodes = []
        if not isinstance(nodes, list):
            self.error(self.line_of(doc, "steps"), "steps: expected a list of steps")
            return ()
        steps: list[Step] = []
        ids: dict[str, int] = {}
        for index, node in enumerate(nodes):
            line = self.line_of(nodes, index, self.line_of(doc, "steps"))
            step = read_step(self, node, index, line)
            if step is None:
                continue
            if step.id in ids:
                self.error(
                    line, f"steps[{index}].id: '{step.id}' is already used at line {ids[step.id]}"
                )
                continue
            if step.id == graph.END:
                self.error(line, f"steps[{index}].id: 'end' is reserved")
                continue
            ids[step.id] = line
            steps.append(step)
        if not self.failed:
            self.check_graph(steps, [*ids, graph.END])
        return tuple(steps)

    def check_graph(self, steps: list[Step], known: list[str]) -> None:
        """Unknown targets; then a loop without a wait (an error), unreachable steps (warnings)."""
        for step, label, target in graph.unknown_targets(steps):
            self.error(
                self.target_lines.get((step.id, label, target), step.line),
                f"step '{step.id}' {label}: no step with id '{target}'" + hint(target, known),
            )
        if self.failed:
            return
        loop = graph.waitless_loop(steps)
        if loop is not None:
            first = next(step for step in steps if step.id == loop[0])
            self.error(
                first.line, "steps: " + " -> ".join(loop) + " can loop without a delay or wait"
            )
            return
        for step in graph.unreachable(steps):
            self.warn(step.line, f"step '{step.id}' is unreachable: no step leads to it")
