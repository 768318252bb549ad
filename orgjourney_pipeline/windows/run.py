"""Running windows: every planned window in order, each in its own transaction.

The journey files are read once per invocation. Before the first window, every journey's SQL
is compiled and bound (`preflight`): one that fails is stopped, named, and the others run, as
for an invalid file. A crash leaves the warehouse as it was before the window; a window
already in `runs` is never processed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orgjourney_pipeline import catalog as journey_catalog
from orgjourney_pipeline.engines import Engine
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.plan import plan_windows
from orgjourney_pipeline.windows.preflight import check_journeys, failing_journeys
from orgjourney_pipeline.windows.window import WindowResult, loaded_through, run_window


@dataclass
class RunReport:
    """What a `run` invocation did."""

    windows: list[WindowResult]
    notes: list[str]
    dry_run: bool = False
    catalog: journey_catalog.JourneyCatalog | None = None

    @property
    def statements_per_window(self) -> int:
        return len(self.windows[0].step_seconds) if self.windows else 0


def run_windows(
    engine: Engine,
    through: datetime,
    start: datetime | None = None,
    *,
    journeys_dir: Path | None = None,
    catalog: journey_catalog.JourneyCatalog | None = None,
    dry_run: bool = False,
    on_window: Callable[[WindowResult], None] | None = None,
) -> RunReport:
    """Process every planned window in order, each in its own transaction.

    The journey files are read once, before any window (or `catalog` is given); a published
    version whose definition changed raises `catalog.PublishedVersionChanged` and no window
    runs. A dry run computes every window inside one transaction and rolls it back at the end.
    """
    plan = plan_windows(engine, through, start)
    if catalog is None:
        catalog = journey_catalog.load_catalog(engine, journeys_dir or Path("/nonexistent"))
    steps = window_steps.load_steps()
    load_seq = loaded_through(engine)
    if plan.windows:
        catalog = catalog.stopping(check_journeys(engine, catalog, plan.windows[0], load_seq))
    results: list[WindowResult] = []

    def finished(result: WindowResult) -> None:
        results.append(result)
        if on_window:
            on_window(result)

    if dry_run:
        with engine.transaction(commit=False):
            for window in plan.windows:
                finished(run_window(engine, window, steps, load_seq, catalog))
        return RunReport(results, _notes(plan.notes, catalog), dry_run=True, catalog=catalog)
    for window in plan.windows:
        try:
            with engine.transaction():
                result = run_window(engine, window, steps, load_seq, catalog)
                engine.publish_views()  # a field a step set first gets its column
        except engine.errors:
            # A journey whose SQL fails on this window's data: stop it, run the others.
            failing = failing_journeys(engine, catalog, window, steps, load_seq)
            if not failing:
                raise
            catalog = catalog.stopping(failing)
            with engine.transaction():
                result = run_window(engine, window, steps, load_seq, catalog)
                engine.publish_views()
        finished(result)
    return RunReport(results, _notes(plan.notes, catalog), catalog=catalog)


def _notes(plan_notes: list[str], catalog: journey_catalog.JourneyCatalog) -> list[str]:
    return plan_notes + [f"journey stopped: {problem}" for problem in catalog.errors]
