"""What one window needs from the journeys: their data tables, registered with the engine,
and their compiled relations (with the organization overlay), as SQL of the engine's dialect.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys import delivery, overlay
from orgjourney_pipeline.journeys.compile import compile_window
from orgjourney_pipeline.journeys.reader import valid_timezone
from orgjourney_pipeline.journeys.templates import WindowContext
from orgjourney_pipeline.windows.plan import Window

# Columns of organization_versions that are history, not fields of an organization.
HISTORY_COLUMNS = ("valid_from", "valid_to", "row_hash")


def window_context(
    engine: Engine, catalog: journey_catalog.JourneyCatalog, window: Window, load_seq: int
) -> tuple[WindowContext, set[str]]:
    """The window's compile context, and every organization field steps may have set."""
    org_fields, contact_fields = journey_catalog.field_types(engine)
    set_by_steps = [
        name
        for journey in catalog.versions.values()
        for step in journey.steps
        for name in step.fields_set()
    ]
    set_by_steps += [
        name for (name,) in engine.rows(sqlfiles.load("runner/updated_fields.sql").sql())
    ]
    updated = overlay.step_fields(org_fields, set_by_steps)
    return WindowContext(window.start, window.end, load_seq, org_fields, contact_fields), updated


def prepare_journeys(
    engine: Engine, catalog: journey_catalog.JourneyCatalog, window: Window, load_seq: int
) -> dict[str, str]:
    """Register the journeys' data tables for this window; return the compiled relations."""
    context, updated = window_context(engine, catalog, window, load_seq)
    prepared = compile_window(catalog.run_journeys, catalog.versions, context)
    for name, table in {**prepared.tables, **_delivery_tables(engine, catalog, window)}.items():
        engine.register(name, table)
    engine.register("journey_catalog", catalog.catalog_rows())
    snapshot_columns = [
        column
        for column in engine.columns("organization_versions")
        if column not in HISTORY_COLUMNS
    ]
    prepared.relations["organizations_at"] = overlay.organizations_at(
        snapshot_columns, context.org_fields, updated, window.end
    )
    # Each relation becomes SQL text once per window, however many steps use it; the
    # relations are built fresh for this window, so the generator need not copy them first.
    dialect = Dialect.get_or_raise(engine.dialect)
    return {name: dialect.generate(query, copy=False) for name, query in prepared.relations.items()}


def _delivery_tables(
    engine: Engine, catalog: journey_catalog.JourneyCatalog, window: Window
) -> dict:
    """The window's delivery tables (send windows per time zone, caps, the global holdout);
    the organizations' zones are read only when a send window is in them."""
    versions = list(catalog.versions.values())
    zones: list[str] = []
    if delivery.needs_org_zones(versions):
        query = sqlfiles.load("runner/org_timezones.sql").sql()
        zones = [zone for (zone,) in engine.rows(query) if valid_timezone(zone)]
    return delivery.delivery_tables(versions, catalog.delivery, window.end, zones)
