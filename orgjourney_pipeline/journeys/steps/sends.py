"""Send steps: `send_email` and `send_sms` (SPEC section 3, Steps and Recipients).

A send step, when it acts, records a send intent; after the step walk its recipients are the
members of the organization as of the run that pass the journey's `send_to` and the step's
own, which narrows it (`recipients`), each sent to or suppressed with a reason
(`sql/window/80_recipients.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from orgjourney_pipeline.journeys.filters import FilterNode
from orgjourney_pipeline.journeys.model import send_to_definition
from orgjourney_pipeline.journeys.recipients import narrowed, read_send_to
from orgjourney_pipeline.journeys.steps.base import Step, step_literals
from orgjourney_pipeline.journeys.templates import relation


@dataclass(frozen=True)
class _Send(Step):
    template: str
    send_to: FilterNode | None = None  # None: the journey's send_to alone
    STEP_KEYS: ClassVar[tuple[str, ...]] = ("send_to",)
    OUTCOME: ClassVar[str] = "sent"

    @classmethod
    def read(cls, reader, source, common):
        where, action = source.where, f"{source.where}.{cls.ACTION}"
        body = reader.mapping(source.body, action, source.body_line)
        if body is None:
            return None
        reader.known_keys(body, ("template", "send_to"), action)
        template = reader.text(body, "template", action)
        send_to = read_send_to(reader, body, "send_to", f"{action}.send_to")
        if "send_to" in source.node:
            send_to = read_send_to(reader, source.node, "send_to", f"{where}.send_to")
        return cls(template=template or "", send_to=send_to, **common)

    def body_definition(self) -> Any:
        return {"template": self.template}

    def step_keys_definition(self) -> dict[str, Any]:
        return {} if self.send_to is None else {"send_to": send_to_definition(self.send_to)}

    def journey_step(self, journey, default_next):
        # The version's own audience: an enrollment stays on the version it entered.
        return {
            **super().journey_step(journey, default_next),
            "template": self.template,
            "unsubscribe_audience": journey.unsubscribe,
        }

    def filters(self):
        return (
            [] if self.send_to is None else [("contact", f"step '{self.id}' send_to", self.send_to)]
        )

    def relations(self, journey, context):
        # The step's own send_to narrows the journey's; `i` is the send intent.
        scope = replace(context.contact_scope(journey), enrollment="i")
        addressed = relation(
            "addressed_contacts",
            **step_literals(journey, self),
            send_to=narrowed((journey.send_to, self.send_to), scope),
        )
        return {"addressed_contacts": [addressed]}


@dataclass(frozen=True)
class SendEmail(_Send):
    """`send_email: {template}`: an email to each recipient with an address."""

    ACTION: ClassVar[str] = "send_email"
    CHANNEL: ClassVar[str | None] = "email"


@dataclass(frozen=True)
class SendSms(_Send):
    """`send_sms: {template}`: an SMS to each recipient with a phone who opted in."""

    ACTION: ClassVar[str] = "send_sms"
    CHANNEL: ClassVar[str | None] = "sms"
