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
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orgjourney_pipeline.journeys import model
from orgjourney_pipeline.journeys.compile import RunJourney

STOPPED = "stopped"


class PublishedVersionChanged(RuntimeError):
    """A file changes the definition of a version that has already been published."""


@dataclass
class JourneyCatalog:
    """The journeys of one invocation: what runs, every version that may move, problems."""

    run_journeys: list[RunJourney]
    versions: dict[tuple[str, int], model.Journey]
    problems: list[model.Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[model.Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def by_id(self, journey_id: str) -> RunJourney | None:
        return next((rj for rj in self.run_journeys if rj.journey_id == journey_id), None)


def field_types(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, str]]:
    """Known organization and contact fields: the built-ins and the custom fields loaded."""
    org_fields = dict(model.BUILTIN_ORG_FIELDS)
    contact_fields = dict(model.BUILTIN_CONTACT_FIELDS)
    rows = con.execute("select kind, name, type from custom_fields").fetchall()
    for kind, name, field_type in rows:
        (org_fields if kind == "organizations" else contact_fields)[name] = field_type
    return org_fields, contact_fields


def load_catalog(con: duckdb.DuckDBPyConnection, folder: Path) -> JourneyCatalog:
    """Read and check every journey file, then join them with the versions already stored.

    Raises `PublishedVersionChanged` (naming the files) when a published version changed.
    """
    journeys, problems = model.load_journeys(folder) if folder.is_dir() else ([], [])
    org_fields, contact_fields = field_types(con)
    valid: list[model.Journey] = []
    for journey in journeys:
        field_problems = model.check_fields(journey, org_fields, contact_fields)
        problems.extend(field_problems)
        if any(p.severity == "error" for p in field_problems):
            continue
        valid.append(journey)

    stored = _stored_versions(con)
    check_published_versions(con, valid, stored)

    failed_ids = {p.journey_id for p in problems if p.severity == "error" and p.journey_id}
    run_journeys = [
        RunJourney(journey, journey.id, journey.version, journey.state, journey.unsubscribe)
        for journey in valid
    ]
    present = {rj.journey_id for rj in run_journeys}
    latest_stored: dict[str, dict] = {}
    for (journey_id, version), row in stored.items():
        if journey_id not in latest_stored or version > latest_stored[journey_id]["version"]:
            latest_stored[journey_id] = {**row, "version": version}
    for journey_id in sorted((failed_ids | set(latest_stored)) - present):
        row = latest_stored.get(journey_id)
        stored_journey = row["journey"] if row else None
        run_journeys.append(
            RunJourney(
                None,
                journey_id,
                row["version"] if row else 0,
                STOPPED,
                stored_journey.unsubscribe if stored_journey else None,
            )
        )

    versions = {(j.id, j.version): j for j in valid}
    for key, row in stored.items():
        versions.setdefault(key, row["journey"])
    return JourneyCatalog(run_journeys, versions, problems)


def check_published_versions(
    con: duckdb.DuckDBPyConnection,
    journeys: list[model.Journey],
    stored: dict[tuple[str, int], dict] | None = None,
) -> None:
    """Raise `PublishedVersionChanged` if a file changes a version that was published.

    Both sides are compared in today's canonical form (the stored definition is read back
    through the model), so a change to the canonical form itself never looks like an edit.
    """
    stored = _stored_versions(con) if stored is None else stored
    changed = [
        f"{journey.source}: journey '{journey.id}' version {journey.version} was published "
        "with another definition; bump `version` to publish a change"
        for journey in journeys
        if (journey.id, journey.version) in stored
        and stored[(journey.id, journey.version)]["published"]
        and stored[(journey.id, journey.version)]["journey"].definition_hash()
        != journey.definition_hash()
    ]
    if changed:
        raise PublishedVersionChanged("\n".join(changed))


def register(con: duckdb.DuckDBPyConnection, catalog: JourneyCatalog, window_end: datetime) -> None:
    """Record the journeys' current versions and states as of this window (in its transaction).

    Two statements for all journeys: new versions are inserted, and every current version's
    state, `last_run_at` and (at its first published run) `first_run_at` are set.
    """
    current = [rj for rj in catalog.run_journeys if rj.journey is not None]
    if not current:
        return
    rows = pa.Table.from_pylist(
        [
            {
                "journey_id": rj.journey_id,
                "version": rj.version,
                "state": rj.state,
                "name": rj.journey.name,
                "definition": json.dumps(rj.journey.definition(), sort_keys=True),
                "definition_hash": rj.journey.definition_hash(),
                "file": str(rj.journey.source),
            }
            for rj in current
        ],
        schema=_CATALOG_SCHEMA,
    )
    con.register("_catalog_rows", rows)
    try:
        con.execute(
            "insert into journeys (journey_id, version, state, name, definition,"
            " definition_hash, file, registered_at)"
            " select c.*, ? from _catalog_rows as c"
            " where not exists (select 1 from journeys as j"
            "  where j.journey_id = c.journey_id and j.version = c.version)",
            [window_end],
        ).fetchall()  # DuckDB wants a statement's result read before the next one
        con.execute(
            "update journeys set state = c.state, last_run_at = ?,"
            " first_run_at = case when c.state = 'published' and journeys.first_run_at is null"
            "  then ? else journeys.first_run_at end"
            " from _catalog_rows as c"
            " where journeys.journey_id = c.journey_id and journeys.version = c.version",
            [window_end, window_end],
        ).fetchall()
    finally:
        con.unregister("_catalog_rows")


_CATALOG_SCHEMA = pa.schema(
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


def _stored_versions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict]:
    rows = con.execute(
        "select journey_id, version, definition, first_run_at is not null, file from journeys"
    ).fetchall()
    return {
        (journey_id, version): {
            "journey": model.journey_from_definition(json.loads(definition), source=file),
            "published": published,
        }
        for journey_id, version, definition, published, file in rows
    }
