"""Validating journey files: what `validate` and the journey-files check report.

A file is read and checked (`journeys.load`; the folder's `delivery.yaml` too), its fields checked against the warehouse's
(`journeys.fields`; without a warehouse only the built-ins are known), a published version
may not change (`catalog.check_published_versions`), and — what a run would do before its
first window — its SQL is compiled and, with a writable warehouse, bound by the engine
(`windows.preflight`), so a journey `validate` accepts does not fail a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys import (
    ERROR,
    Journey,
    Problem,
    check_fields,
    journey_files,
    load_journey,
    load_journeys,
)
from orgjourney_pipeline.journeys.delivery import DELIVERY_FILES
from orgjourney_pipeline.journeys.delivery_file import delivery_file, load_delivery
from orgjourney_pipeline.windows.plan import HOUR, Window, floor_hour, last_window_end
from orgjourney_pipeline.windows.preflight import validate_journeys


@dataclass
class Validation:
    """What validating journey files found."""

    journeys: list[Journey]
    problems: list[Problem] = field(default_factory=list)
    fields_checked: bool = False  # against a warehouse's loaded fields (else built-ins only)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == ERROR]

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (str(p.file), p.line, p.message))

    def document(self) -> dict:
        """The `validate --json` document (docs/schemas/validate.schema.json)."""
        return {
            "valid": not self.errors,
            "files": self.files,
            "journeys": sorted(journey.id for journey in self.journeys),
            "fields_checked": self.fields_checked,
            "problems": [
                {
                    "file": str(p.file),
                    "line": p.line,
                    "severity": p.severity,
                    "journey_id": p.journey_id,
                    "message": p.message,
                }
                for p in self.sorted_problems()
            ],
        }


def validate(
    sources: Path | Sequence[Path],
    engine: Engine | None,
    now: datetime,
    *,
    bind: bool = True,
) -> Validation:
    """Validate a journeys folder, or the journey files given.

    `engine`: the warehouse (None before there is one); `bind`: also have it bind each
    journey's SQL (needs a writable warehouse: the statements run, write nothing, and are
    rolled back).
    """
    journeys, problems, files = _read(sources)
    result = Validation(journeys, problems, fields_checked=engine is not None, files=files)
    org_fields = contact_fields = None
    if engine is not None:
        org_fields, contact_fields = journey_catalog.field_types(engine)
        try:
            journey_catalog.check_published_versions(
                journeys, journey_catalog.stored_versions(engine)
            )
        except journey_catalog.PublishedVersionChanged as changed:
            result.problems.extend(_changed_problems(journeys, str(changed)))
    for journey in journeys:
        result.problems.extend(check_fields(journey, org_fields, contact_fields))
    failed = {p.journey_id for p in result.problems if p.severity == ERROR}
    valid = [journey for journey in journeys if journey.id not in failed]
    if valid:
        window = _next_window(engine, now)
        result.problems.extend(validate_journeys(engine if bind else None, valid, window))
    return result


def _read(sources: Path | Sequence[Path]) -> tuple[list[Journey], list[Problem], int]:
    if isinstance(sources, Path):
        journeys, problems = load_journeys(sources)
        _, delivery_problems = load_delivery(sources)  # the folder's rules across journeys
        files = len(journey_files(sources)) + (delivery_file(sources) is not None)
        return journeys, problems + delivery_problems, files
    journeys, problems = [], []
    for path in sources:
        if Path(path).name in DELIVERY_FILES:  # the rules across journeys, read as such
            problems.extend(load_delivery(Path(path).parent)[1])
            continue
        journey, file_problems = load_journey(path)
        problems.extend(file_problems)
        if journey is not None:
            journeys.append(journey)
    return journeys, problems, len(sources)


def _changed_problems(journeys: list[Journey], message: str) -> list[Problem]:
    """A problem at the `version` line of each file that changes a published version."""
    problems = []
    for journey in journeys:
        for line in message.splitlines():
            if line.startswith(f"{journey.source}:"):
                text = line.removeprefix(f"{journey.source}: ")
                problems.append(
                    Problem(
                        journey.source, journey.lines.get("version", 1), text, journey_id=journey.id
                    )
                )
    return problems


def _next_window(engine: Engine | None, now: datetime) -> Window:
    """The window a run would process next: after the last processed one, else this hour's."""
    last_end = last_window_end(engine) if engine is not None else None
    end = last_end + HOUR if last_end is not None else floor_hour(now)
    return Window(end - HOUR, end)
