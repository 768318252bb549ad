"""DuckDB's own profile of a window, step by step (issue 20: `EXPLAIN ANALYZE` per step, the
top three kept in the JSON).

`ProfilingEngine` runs windows as `DuckDBEngine` does, with DuckDB's detailed profiling on,
and keeps the profile of every statement the window executes, by the step whose write it
belongs to: the seconds DuckDB spent planning it (binding, the optimizers, the physical plan)
and executing it, the rows it scanned, its peak buffer memory and its costliest operators.
What a window spends outside DuckDB's statements is Python (rendering, compiling, binding
journeys, the driver's round trips).

The benchmark profiles its warm-up window, a steady window it does not measure (profiling
costs a little, and no measured figure carries it), and keeps the profiles of the three steps
slowest in the measured windows (`profile_figures`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from orgjourney_pipeline.engines.binding import EMPTY
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.windows import steps as window_steps
from orgjourney_pipeline.windows.window import WindowResult

TOP_STEPS = 3  # the steps whose profile the JSON keeps
TOP_OPERATORS = 6  # the costliest operators kept of each
_BOUND = EMPTY.split("{select}")[0]  # how the preflight's statements begin


@dataclass
class StatementProfile:
    """One statement as DuckDB profiled it."""

    seconds: float  # DuckDB's latency of the statement, planning included
    planning_s: float  # binding, optimizing and physical planning
    rows_scanned: int
    peak_buffer_mb: float
    # The costliest first: name, seconds (summed over the threads), rows, the table scanned.
    operators: list[dict[str, Any]]

    @classmethod
    def parse(cls, profile: dict[str, Any]) -> StatementProfile:
        optimizers = profile["optimizer"]  # each optimizer's seconds, and their total
        planning = (
            profile["planner"]["total_time"]
            + optimizers.get("total_time", sum(optimizers.values()))
            + profile["physical_planner"]["total_time"]
        )
        operators = sorted(_operators(profile["operator"]), key=lambda op: -op["seconds"])
        return cls(
            seconds=profile["query"]["total_time"],
            planning_s=planning,
            rows_scanned=profile["query"]["total_rows_scanned"],
            peak_buffer_mb=profile["system"]["peak_buffer_memory"] / 2**20,
            operators=operators[:TOP_OPERATORS],
        )


def _operators(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every operator of a profile's tree, flattened."""
    flat = []
    for node in nodes:
        info = node.get("extra_info") or {}
        operator = {
            "name": node["name"],
            "seconds": round(node["timing"], 4),
            "rows": node["intermediate_rows"],
        }
        if "Table" in info:
            operator["table"] = info["Table"]
        flat.append(operator)
        flat.extend(_operators(node.get("children", [])))
    return flat


@dataclass
class WindowProfile:
    """Every profiled statement of the windows run, by step."""

    statements: dict[str, list[StatementProfile]] = field(default_factory=lambda: defaultdict(list))

    def step(self, name: str) -> dict[str, Any] | None:
        """A step's statements summed (a walk step's over its passes), with the operators of
        its slowest statement; None if no statement of it ran."""
        key = next((key for key in self.statements if name in key.split(" / ")), None)
        if key is None:
            return None
        profiles = self.statements[key]
        slowest = max(profiles, key=lambda p: p.seconds)
        return {
            **_seconds(profiles),
            "rows_scanned": sum(p.rows_scanned for p in profiles),
            "peak_buffer_mb": round(max(p.peak_buffer_mb for p in profiles), 1),
            "operators": slowest.operators,
        }

    def step_names(self) -> list[str]:
        """The steps whose statements ran, by name."""
        return sorted(name for key in self.statements for name in key.split(" / "))

    def totals(self) -> dict[str, float | int]:
        """The steps' statements: how many, DuckDB's seconds, planning's share."""
        return _seconds([p for group in self.statements.values() for p in group])


def _seconds(profiles: list[StatementProfile]) -> dict[str, float | int]:
    """How many statements, DuckDB's seconds for them, and those planning and executing
    (planning by DuckDB's own phase timers; executing the rest of its latency)."""
    seconds = sum(p.seconds for p in profiles)
    planning = sum(p.planning_s for p in profiles)
    return {
        "statements": len(profiles),
        "seconds": round(seconds, 4),
        "planning_s": round(planning, 4),
        "execution_s": round(max(0.0, seconds - planning), 4),
    }


class _ProfiledConnection:
    """A connection whose every `execute` hands DuckDB's profile of it to `engine`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, engine: ProfilingEngine):
        self._con, self._engine = con, engine

    def execute(self, *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        result = self._con.execute(*args, **kwargs)
        self._engine.executed(self._con)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class ProfilingEngine(DuckDBEngine):
    """`DuckDBEngine` with each statement profiled by DuckDB and kept by step: the windows'
    in `profile`, the invocation's preflight (each step's statement bound with no rows, as
    `BindingEngine` writes it) in `preflight`.

    A statement belongs to the step whose write executes it: a step is known here by its
    target table, and the two steps that share one (the walk's start and its advance) are
    named together. Use it as a context manager: profiling is on inside it only.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        super().__init__(con)
        self._raw = con
        self._proxy = _ProfiledConnection(con, self)
        self._label: str | None = None  # the step whose write runs now
        self._into: WindowProfile | None = None  # and where its statements' profiles go
        self._steps = _steps_by_target()
        self.profile = WindowProfile()
        self.preflight = WindowProfile()
        self.reading_s = 0.0  # fetching and reading the windows' profiles, in the steps' time

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self._proxy  # type: ignore[return-value]

    def __enter__(self) -> ProfilingEngine:
        self._raw.execute("set enable_profiling = 'no_output'")
        self._raw.execute("set profiling_mode = 'detailed'")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._raw.execute("reset profiling_mode")
        self._raw.execute("reset enable_profiling")

    def write(self, select: str, target: str, mode: str, keys=()) -> int:
        self._label = self._steps.get((target, mode), target)
        self._into = self.preflight if select.startswith(_BOUND) else self.profile
        try:
            return super().write(select, target, mode, keys)
        finally:
            self._label = self._into = None

    def executed(self, con: duckdb.DuckDBPyConnection) -> None:
        """Keep the profile of the statement `con` just ran, if a step's write ran it (not
        the window's parameters, the journeys' registration, the ledger counts or the
        transaction's own statements)."""
        if self._label is None or self._into is None:  # set together, by `write`
            return
        clock = time.perf_counter()
        profile = json.loads(con.get_profiling_information(format="json"))
        if "query" in profile:
            self._into.statements[self._label].append(StatementProfile.parse(profile))
        if self._into is self.profile:
            self.reading_s += time.perf_counter() - clock


def _steps_by_target() -> dict[tuple[str, str], str]:
    """Each (target, write mode) of the window's step files: the step names that write it."""
    names: dict[tuple[str, str], list[str]] = defaultdict(list)
    for step in window_steps.flat_steps(window_steps.load_steps()):
        names[(step.target, step.write)].append(step.name)
    return {key: " / ".join(steps) for key, steps in names.items()}


def profile_figures(
    result: dict[str, Any], window: WindowResult, engine: ProfilingEngine, label: str
) -> None:
    """`profile`: where the profiled window's seconds went — its steps' statements in DuckDB
    (planning and executing), the steps' own Python (rendering, the driver), and the window's
    Python outside the steps (compiling and registering the journeys, the ledger), all less
    the time spent reading the profiles (the engine profiles one window only) — and the
    profiles of the `TOP_STEPS` slowest steps of `result["phases_s"]` (the measured windows)."""
    profile = engine.profile
    totals = profile.totals()
    steps_s = sum(window.step_seconds.values()) - engine.reading_s
    window_s = window.seconds - engine.reading_s
    top = {name: profile.step(name) for name in list(result["phases_s"])[:TOP_STEPS]}
    result["profile"] = {
        "window": label,
        "window_s": round(window_s, 4),
        "statements": totals["statements"],
        "duckdb_s": totals["seconds"],
        "planning_s": totals["planning_s"],
        "execution_s": totals["execution_s"],
        "steps_s": round(steps_s, 4),
        "steps_python_s": round(steps_s - totals["seconds"], 4),
        "outside_steps_s": round(window_s - steps_s, 4),
        "profile_reading_s": round(engine.reading_s, 4),
        "top_steps": {name: step for name, step in top.items() if step is not None},
        "preflight": {**engine.preflight.totals(), "steps": engine.preflight.step_names()},
    }
