"""Before a run, and at `validate`: does every journey's SQL compile and bind?

SPEC: an invalid journey stops only that journey. A journey can be valid as a file and still
fail as SQL (a filter that exhausts a recursive compiler, a value the engine cannot convert).
`check_journeys` finds those journeys before any window runs: it compiles each part of each
journey (a failure is a problem at the part's line), then runs one window's statements on an
engine that only binds them (`BindingEngine`: nothing is read or written, and the transaction
is rolled back); if that fails, it binds each journey alone to name the ones that fail.
`run_windows` stops the journeys it names, as it stops an invalid file, and runs the others.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.engines.binding import BindingEngine
from orgjourney_pipeline.journeys import (
    BUILTIN_CONTACT_FIELDS,
    BUILTIN_ORG_FIELDS,
    Journey,
    Problem,
)
from orgjourney_pipeline.journeys.compile import journey_parts
from orgjourney_pipeline.journeys.tables import RunJourney
from orgjourney_pipeline.journeys.templates import WindowContext
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.journeys import window_context
from orgjourney_pipeline.windows.plan import Window
from orgjourney_pipeline.windows.window import run_window

# What compiling a journey's part can raise on a journey file that reads well: recursion in
# sqlglot's walkers, date arithmetic past the calendar, a value that is not what its type says.
COMPILE_ERRORS = (RecursionError, OverflowError, ValueError, TypeError, KeyError)


def check_journeys(
    engine: Engine,
    catalog: journey_catalog.JourneyCatalog,
    window: Window,
    load_seq: int,
) -> list[Problem]:
    """A problem for each journey of the catalog whose SQL does not compile or bind."""
    context, _ = window_context(engine, catalog, window, load_seq)
    problems = compile_problems(context, [rj.journey for rj in catalog.run_journeys if rj.journey])
    failed = {problem.journey_id for problem in problems}
    # The catalog itself when nothing failed: the window bound here compiles its relations
    # for every window (`windows.journeys.compiled_relations`), so its windows bind them.
    remaining = catalog.without(failed) if failed else catalog
    if remaining.run_journeys and _bind_error(engine, remaining, window, load_seq) is not None:
        for run_journey in remaining.run_journeys:
            if run_journey.journey is None:
                continue
            error = _bind_error(engine, remaining.alone(run_journey.journey), window, load_seq)
            if error is not None:
                problems.append(_problem(run_journey.journey, 1, "its SQL fails", error))
    return problems


def validate_journeys(
    engine: Engine | None, candidates: list[Journey], window: Window
) -> list[Problem]:
    """`validate`'s SQL check: every journey compiled and, with a warehouse, bound, as if
    published in `window` (without one, compiled over the built-in fields only)."""
    if engine is None:
        set_by_steps = {
            name: "text" for j in candidates for s in j.steps for name in s.fields_set()
        }
        org_fields = {**set_by_steps, **BUILTIN_ORG_FIELDS}
        context = WindowContext(
            window.start, window.end, 0, org_fields, dict(BUILTIN_CONTACT_FIELDS)
        )
        return compile_problems(context, candidates)
    stored = journey_catalog.stored_versions(engine)
    catalog = journey_catalog.JourneyCatalog(
        [RunJourney(j, j.id, j.version, "published", j.unsubscribe) for j in candidates],
        {
            **{key: row["journey"] for key, row in stored.items()},
            **{(j.id, j.version): j for j in candidates},
        },
    )
    return check_journeys(engine, catalog, window, 0)


def compile_problems(context: WindowContext, candidates: list[Journey]) -> list[Problem]:
    """Every part of every journey compiled for the context's window and generated as SQL."""
    dialect = Dialect.get_or_raise("duckdb")
    problems = []
    for journey in candidates:
        for label, line, compile_part in journey_parts(journey):
            try:
                for queries in compile_part(context).values():
                    for query in queries:
                        dialect.generate(query)
            except COMPILE_ERRORS as error:
                problems.append(_problem(journey, line, f"{label} cannot be compiled", error))
                break
    return problems


def failing_journeys(
    engine: Engine,
    catalog: journey_catalog.JourneyCatalog,
    window: Window,
    steps: list,
    load_seq: int,
) -> list[Problem]:
    """The journeys whose window fails when each runs alone (rolled back), as problems.

    Only called when a window failed: it runs the window once per journey.
    """
    problems = []
    for run_journey in catalog.run_journeys:
        journey = run_journey.journey
        if journey is None or run_journey.state != "published":
            continue
        error = _window_error(engine, catalog.alone(journey), window, steps, load_seq)
        if error is not None:
            problems.append(
                _problem(journey, 1, f"its SQL fails on window {window.end:%Y-%m-%dT%H:%MZ}", error)
            )
    return problems


def _bind_error(
    engine: Engine, catalog: journey_catalog.JourneyCatalog, window: Window, load_seq: int
) -> Exception | None:
    """The error binding one window's statements for these journeys raises, if any."""
    return _window_error(
        BindingEngine(engine), catalog, window, window_steps.load_steps(), load_seq
    )


def _window_error(
    engine: Engine,
    catalog: journey_catalog.JourneyCatalog,
    window: Window,
    steps: list,
    load_seq: int,
) -> Exception | None:
    """The error running one window for these journeys raises (rolled back), if any."""
    try:
        with engine.transaction(commit=False):
            run_window(engine, window, steps, load_seq, catalog)
    except (*engine.errors, *COMPILE_ERRORS) as error:
        return error
    return None


def _problem(journey: Journey, line: int, what: str, error: Exception) -> Problem:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, RecursionError):
        detail = "it nests too deeply to compile"
    return Problem(journey.source, line, f"{what}: {detail}", journey_id=journey.id)
