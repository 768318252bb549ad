"""What every step kind has and can do; the kinds are the other modules of this package.

A step kind is a frozen dataclass that knows how its YAML is read (`read`, with `file:line`
problems), its canonical definition, where it can go (`targets`), its row in the journey
tables (`journey_step`: the data columns the window's SQL switches on), the organization
updates it makes, when it falls due if it waits, the filters and fields it names, and its
part of the window's compiled relations (`relations`, from a template in `sql/compiled/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlglot import exp

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.filters import FilterNode
    from orgjourney_pipeline.journeys.model import Journey
    from orgjourney_pipeline.journeys.reader import NodeReader
    from orgjourney_pipeline.journeys.templates import WindowContext

Relations = dict[str, list[exp.Query]]


@dataclass(frozen=True)
class StepSource:
    """Where a step is read from: its mapping, its action's body and lines, its label."""

    node: Mapping
    body: Any
    body_line: int
    where: str  # "step 'id'" (or "steps[i]" while its id is unknown)


@dataclass(frozen=True)
class Step:
    """A step of a journey: an id, an optional `next`, and one action."""

    id: str
    _: KW_ONLY
    next: str | None = None
    line: int = field(default=0, compare=False)

    ACTION: ClassVar[str]  # the YAML key of the action
    STEP_KEYS: ClassVar[tuple[str, ...]] = ()  # keys of the step itself besides id/next/name
    # The data columns of `journey_steps` that the window's SQL switches on:
    WAITS: ClassVar[bool] = False  # acts only when due (`wake_at`), or on an activity
    WAITS_FOR_ACTIVITY: ClassVar[bool] = False  # goes to `then` on a matching activity
    CHOOSES_BRANCH: ClassVar[bool] = False  # its target is a chosen branch (`*_choices`)
    ENDS: ClassVar[bool] = False  # ends the enrollment (`completed`)
    CHANNEL: ClassVar[str | None] = None  # a send step's channel
    OUTCOME: ClassVar[str] = "done"  # `enrollment_steps.outcome` when it acts

    @classmethod
    def read(cls, reader: NodeReader, source: StepSource, common: dict[str, Any]) -> Step | None:
        """The step, or None with its problems reported. `common`: id, next and line."""
        raise NotImplementedError

    def body_definition(self) -> Any:
        """The action's body as a file writes it, canonical."""
        return {}

    def step_keys_definition(self) -> dict[str, Any]:
        """The kind's own keys of the step (`then`, `else`, `send_to`), canonical."""
        return {}

    def definition(self) -> dict[str, Any]:
        definition: dict[str, Any] = {"id": self.id, self.ACTION: self.body_definition()}
        definition.update(self.step_keys_definition())
        if self.next is not None:
            definition["next"] = self.next
        return definition

    def targets(self, default: str | None) -> list[tuple[str, str | None]]:
        """Where the step can go, as (label, step id or 'end'); `default`: its next step."""
        return [("next", default)]

    def journey_step(self, journey: Journey, default_next: str) -> dict[str, Any]:
        """The kind's columns of its row in `journey_steps` (see `tables.STEP_SCHEMA`);
        `default_next`: where it goes by default (`graph.default_next`)."""
        return {
            "is_wait": self.WAITS,
            "waits_for_activity": self.WAITS_FOR_ACTIVITY,
            "chooses_branch": self.CHOOSES_BRANCH,
            "ends": self.ENDS,
            "is_send": self.CHANNEL is not None,
            "channel": self.CHANNEL,
            "outcome": self.OUTCOME,
        }

    def updates(self, org_fields: Mapping[str, str]) -> list[tuple[str, str, str]]:
        """The organization updates the step makes, in order: (kind, name, value); a field is
        named as `org_fields` (the known fields) name it, ignoring case."""
        return []

    def fields_set(self) -> tuple[str, ...]:
        """Organization fields the step sets (`update_org`)."""
        return ()

    def wake_at(self, timezone: str, reached_at: datetime) -> datetime | None:
        """When the step, reached at `reached_at`, falls due (None: it does not wait)."""
        return None

    def filters(self) -> list[tuple[str, str, FilterNode]]:
        """The filters the step holds: (subject, where for messages, filter)."""
        return []

    def relations(self, journey: Journey, context: WindowContext) -> Relations:
        """The step's parts of the window's compiled relations."""
        return {}


def step_literals(journey: Journey, step: Step) -> dict[str, object]:
    """The placeholders that name a step of a journey version in the templates."""
    return {"journey_id": journey.id, "journey_version": journey.version, "step_id": step.id}
