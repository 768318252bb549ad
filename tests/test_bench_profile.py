"""The benchmark's DuckDB profile of a window (`orgjourney_pipeline.bench.profile`): each
statement a step's write runs is profiled and kept under that step's name, the preflight's
bound statements apart, nothing else, and profiling is off again after."""

from __future__ import annotations

import duckdb
import pytest

from orgjourney_pipeline.bench.profile import ProfilingEngine
from orgjourney_pipeline.engines.binding import BindingEngine
from orgjourney_pipeline.windows import steps as window_steps


def _step(name: str) -> window_steps.SqlStep:
    (step,) = [s for s in window_steps.flat_steps(window_steps.load_steps()) if s.name == name]
    return step


def _profiling_on(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('enable_profiling')").fetchone()[0]


def test_each_write_is_profiled_under_its_step() -> None:
    con = duckdb.connect()
    con.execute("create table numbers as select range as n from range(100000)")
    before = _profiling_on(con)
    recipients = _step("80_recipients")
    with ProfilingEngine(con) as engine:
        assert _profiling_on(con) == "no_output"
        query = "select n % 10 as digit, count(*) as c from numbers group by all"
        assert engine.write(query, recipients.target, recipients.write) == 10
        engine.write("select 1 as n", recipients.target, recipients.write)
        engine.rows("select count(*) from numbers")  # no step's write: not kept
        BindingEngine(engine).write(query, recipients.target, recipients.write)
    assert _profiling_on(con) == before
    step = engine.profile.step("80_recipients")
    assert step["statements"] == 2
    assert step["rows_scanned"] == 100000  # the first statement's scan
    assert step["planning_s"] + step["execution_s"] == pytest.approx(step["seconds"], abs=1e-4)
    assert {op["table"] for op in step["operators"] if "table" in op} == {"memory.main.numbers"}
    assert list(engine.profile.statements) == ["80_recipients"]
    assert engine.profile.totals()["statements"] == 2
    assert engine.preflight.step("80_recipients")["statements"] == 1
    assert engine.profile.step("71_walk_ready") is None


def test_the_two_steps_of_one_target_are_named_together() -> None:
    walk = _step("76_walk_advance")
    con = duckdb.connect()
    with ProfilingEngine(con) as engine:
        engine.write("select 1 as enrollment_id", walk.target, walk.write)
    assert list(engine.profile.statements) == ["60_walk / 76_walk_advance"]
    assert engine.profile.step("60_walk") == engine.profile.step("76_walk_advance")
