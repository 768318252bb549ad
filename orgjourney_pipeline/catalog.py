"""The journeys a run works with: read the files once, check them, remember every version.

A published `(id, version)` is immutable: its definition (everything but `state`, in
canonical form) is stored in `journeys` when first run, and a file that changes it under the
same version stops the whole run. Any other problem in a file stops only that journey: it
runs in state `stopped` (nothing enters, moves or exits) and the run says so loudly.
Active enrollments keep the version they entered with, read back from `journeys`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from orgjourney_pipeline import journeys, sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys.delivery import DeliveryRules
from orgjourney_pipeline.journeys.delivery_file import load_delivery
from orgjourney_pipeline.journeys.fields import known_field_types
from orgjourney_pipeline.journeys.tables import RunJourney

STOPPED = "stopped"

CATALOG_SCHEMA = pa.schema(
    [
        ("journey_id", pa.string()),
        ("version", pa.int32()),
        ("state", pa.string()),
        ("name", pa.string()),
        ("definition", pa.string()),
        ("definition_hash", pa.string()),
        ("file", pa.string()),
    ]
)


class PublishedVersionChanged(RuntimeError):
    """A file changes the definition of a version that has already been published."""


class DeliveryRulesInvalid(RuntimeError):
    """The journeys folder's `delivery.yaml` has errors: no window runs without its caps."""


@dataclass
class JourneyCatalog:
    """The journeys of one invocation: what runs, every version that may move, problems."""

    run_journeys: list[RunJourney]
    versions: dict[tuple[str, int], journeys.Journey]
    problems: list[journeys.Problem] = field(default_factory=list)
    delivery: DeliveryRules = field(default_factory=DeliveryRules)
    # The relations compiled for its windows, by what they depend on (`windows.journeys`).
    compiled: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def errors(self) -> list[journeys.Problem]:
        return [p for p in self.problems if p.severity == journeys.ERROR]

    def by_id(self, journey_id: str) -> RunJourney | None:
        return next((rj for rj in self.run_journeys if rj.journey_id == journey_id), None)

    def alone(self, journey: journeys.Journey, state: str = "published") -> JourneyCatalog:
        """This catalog with one journey only, in `state` (its stored versions kept)."""
        current = RunJourney(journey, journey.id, journey.version, state, journey.unsubscribe)
        versions = {key: j for key, j in self.versions.items() if key[0] == journey.id}
        versions[(journey.id, journey.version)] = journey
        return JourneyCatalog([current], versions, delivery=self.delivery)

    def without(self, journey_ids: set[str | None]) -> JourneyCatalog:
        """This catalog with these journeys stopped: nothing of theirs enters, moves, exits or
        converts (their versions are left out), their enrollments wait as they are."""
        run_journeys = [
            RunJourney(None, rj.journey_id, rj.version, STOPPED, rj.unsubscribe_audience)
            if rj.journey_id in journey_ids
            else rj
            for rj in self.run_journeys
        ]
        versions = {key: j for key, j in self.versions.items() if key[0] not in journey_ids}
        return JourneyCatalog(run_journeys, versions, list(self.problems), self.delivery)

    def stopping(self, problems: list[journeys.Problem]) -> JourneyCatalog:
        """This catalog with the journeys these problems name stopped, and the problems kept."""
        if not problems:
            return self
        stopped = self.without({problem.journey_id for problem in problems})
        stopped.problems.extend(problems)
        return stopped

    def catalog_rows(self) -> pa.Table:
        """The current journeys as rows of `journey_catalog` (registered each window)."""
        rows = [
            {
                "journey_id": rj.journey_id,
                "version": rj.version,
                "state": rj.state,
                "name": rj.journey.name,
                "definition": json.dumps(rj.journey.definition(), sort_keys=True),
                "definition_hash": rj.journey.definition_hash(),
                "file": str(rj.journey.source),
            }
            for rj in self.run_journeys
            if rj.journey is not None
        ]
        return pa.Table.from_pylist(rows, schema=CATALOG_SCHEMA)


def field_types(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """Known organization and contact fields: the built-ins and the custom fields loaded."""
    return known_field_types(engine.rows)


def load_catalog(engine: Engine, folder: Path) -> JourneyCatalog:
    """Read and check every journey file, then join them with the versions already stored.

    Raises `PublishedVersionChanged` (naming the files) when a published version changed, and
    `DeliveryRulesInvalid` when `delivery.yaml` has errors.
    """
    delivery, delivery_problems = load_delivery(folder)
    if journeys.has_errors(delivery_problems):
        raise DeliveryRulesInvalid(
            "\n".join(str(p) for p in delivery_problems if p.severity == journeys.ERROR)
            + "\nno window runs until delivery.yaml is fixed"
        )
    files, problems = journeys.load_journeys(folder) if folder.is_dir() else ([], [])
    org_fields, contact_fields = field_types(engine)
    valid: list[journeys.Journey] = []
    for journey in files:
        field_problems = journeys.check_fields(journey, org_fields, contact_fields)
        problems.extend(field_problems)
        if not journeys.has_errors(field_problems):
            valid.append(journey)
    stored = stored_versions(engine)
    check_published_versions(valid, stored)
    run_journeys = [
        RunJourney(journey, journey.id, journey.version, journey.state, journey.unsubscribe)
        for journey in valid
    ]
    run_journeys += _stopped(problems, stored, {rj.journey_id for rj in run_journeys})
    versions = {(j.id, j.version): j for j in valid}
    for key, row in stored.items():
        versions.setdefault(key, row["journey"])
    return JourneyCatalog(run_journeys, versions, problems, delivery)


def _stopped(
    problems: list[journeys.Problem], stored: dict[tuple[str, int], dict], present: set[str]
) -> list[RunJourney]:
    """The journeys that do not run: a file with errors, or a stored journey whose file is gone."""
    failed = {p.journey_id for p in problems if p.severity == journeys.ERROR and p.journey_id}
    latest: dict[str, tuple[int, journeys.Journey]] = {}
    for (journey_id, version), row in stored.items():
        if journey_id not in latest or version > latest[journey_id][0]:
            latest[journey_id] = (version, row["journey"])
    stopped = []
    for journey_id in sorted((failed | set(latest)) - present):
        version, journey = latest.get(journey_id, (0, None))
        audience = journey.unsubscribe if journey else None
        stopped.append(RunJourney(None, journey_id, version, STOPPED, audience))
    return stopped


def check_published_versions(
    candidates: list[journeys.Journey], stored: dict[tuple[str, int], dict]
) -> None:
    """Raise `PublishedVersionChanged` if a file changes a version that was published.

    Both sides are compared in today's canonical form (the stored definition is read back
    through the journey reader), so a change to the canonical form itself never looks like an
    edit.
    """
    changed = [
        f"{journey.source}: journey '{journey.id}' version {journey.version} was published "
        "with another definition; bump `version` to publish a change"
        for journey in candidates
        if (journey.id, journey.version) in stored
        and stored[(journey.id, journey.version)]["published"]
        and stored[(journey.id, journey.version)]["journey"].definition_hash()
        != journey.definition_hash()
    ]
    if changed:
        raise PublishedVersionChanged("\n".join(changed))


def stored_versions(engine: Engine) -> dict[tuple[str, int], dict]:
    """Every registered version: its journey (read back) and whether it was published."""
    rows = engine.rows(sqlfiles.load("runner/stored_versions.sql").sql())
    return {
        (journey_id, version): {
            "journey": journeys.journey_from_definition(json.loads(definition), source=file),
            "published": published,
        }
        for journey_id, version, definition, published, file in rows
    }
