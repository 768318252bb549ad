"""What one window needs from the journeys: their data tables, registered with the engine,
and their compiled relations (with the organization overlay), as SQL of the engine's dialect.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.journeys import delivery, overlay
from orgjourney_pipeline.journeys.compile import compile_relations, window_shapes, window_tables
from orgjourney_pipeline.journeys.kept import keep
from orgjourney_pipeline.journeys.reader import valid_timezone
from orgjourney_pipeline.journeys.templates import WindowContext
from orgjourney_pipeline.windows.plan import Window

# Columns of organization_versions that are history, not fields of an organization.
HISTORY_COLUMNS = ("valid_from", "valid_to", "row_hash")
# How many compiles a catalog keeps: a key changes with the fields, the fields steps update
# and the entries' shapes (an anniversary's days, a recurring entry firing), so a long run
# meets a few keys again and again, and many only once.
KEPT_COMPILES = 8


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
    """Register the journeys' data tables for this window; return the compiled relations,
    as SQL text of the engine's dialect."""
    context, updated = window_context(engine, catalog, window, load_seq)
    window_data = window_tables(
        catalog.run_journeys, catalog.versions, window.end, context.org_fields
    )
    for name, table in {**window_data, **_delivery_tables(engine, catalog, window)}.items():
        engine.register(name, table)
    engine.register("journey_catalog", catalog.catalog_rows())
    snapshot_columns = tuple(
        column
        for column in engine.columns("organization_versions")
        if column not in HISTORY_COLUMNS
    )
    return compiled_relations(
        catalog, context, snapshot_columns, updated, Dialect.get_or_raise(engine.dialect)
    )


def compiled_relations(
    catalog: journey_catalog.JourneyCatalog,
    context: WindowContext,
    snapshot_columns: tuple[str, ...],
    updated: set[str],
    dialect: Dialect,
    kept: bool = True,
) -> dict[str, str]:
    """The window's compiled relations as SQL text: those the catalog keeps for every window
    with the same key (`journeys.kept`), bound to this one, and compiled the first time; or,
    not `kept`, compiled for this window alone."""
    if kept:
        bound = _kept_relations(catalog, context, snapshot_columns, updated, dialect)
        if bound is not None:
            return bound
    # Built fresh for this window, so the generator need not copy them first.
    relations = _relations(catalog, context, snapshot_columns, updated)
    return {name: dialect.generate(query, copy=False) for name, query in relations.items()}


def _kept_relations(
    catalog: journey_catalog.JourneyCatalog,
    context: WindowContext,
    snapshot_columns: tuple[str, ...],
    updated: set[str],
    dialect: Dialect,
) -> dict[str, str] | None:
    """The kept relations bound to this window (None: `keep` refused them for its key)."""
    # The relations depend on the window only through its `WindowValue`s and its shapes.
    key = (
        type(dialect).__name__,
        tuple(context.org_fields.items()),
        tuple(context.contact_fields.items()),
        snapshot_columns,
        tuple(sorted(updated)),
        window_shapes(catalog.run_journeys, context),
    )
    if key not in catalog.compiled:  # compiled once for every window with this key
        if len(catalog.compiled) >= KEPT_COMPILES:  # the oldest goes
            del catalog.compiled[next(iter(catalog.compiled))]
        every_window = replace(context, for_every_window=True)
        relations = _relations(catalog, every_window, snapshot_columns, updated)
        catalog.compiled[key] = keep(relations, dialect)
    kept = catalog.compiled[key]
    return None if kept is None else kept.bind(context.window_end, context.load_seq)


def _relations(
    catalog: journey_catalog.JourneyCatalog,
    context: WindowContext,
    snapshot_columns: tuple[str, ...],
    updated: set[str],
) -> dict[str, exp.Query]:
    """The compiled relations, and the organizations as the journeys see them."""
    relations = compile_relations(catalog.run_journeys, catalog.versions, context)
    relations["organizations_at"] = overlay.organizations_at(
        list(snapshot_columns), context.org_fields, updated, context.end
    )
    return relations


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
