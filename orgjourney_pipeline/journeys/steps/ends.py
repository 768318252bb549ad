"""`exit: {}`: the step that ends the enrollment, `completed` (SPEC section 3, Steps)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from orgjourney_pipeline.journeys.steps.base import Step


@dataclass(frozen=True)
class ExitStep(Step):
    """Ends the enrollment: it completes, and goes nowhere."""

    ACTION: ClassVar[str] = "exit"
    ENDS: ClassVar[bool] = True
    OUTCOME: ClassVar[str] = "completed"

    @classmethod
    def read(cls, reader, source, common):
        body = source.body
        if body is not None and not (isinstance(body, Mapping) and not body):
            reader.error(
                source.body_line, f"{source.where}.exit: takes no settings (write `exit: {{}}`)"
            )
        return cls(**common)

    def targets(self, default):
        return []
