"""Window steps tested alone, from YAML cases: input rows per table, the exact rows out.

In the style of SQLMesh's and dbt's unit tests: each file of `tests/sql_cases/` names one step
of `sql/window/` and lists cases; a case gives the rows of every table the step reads (the
warehouse's tables are typed by the schema; the window's temporary tables and the compiled
relations by `types:` or by their known columns), the parameters, and the rows the step's
target must hold afterwards (only the columns a case lists are compared). The step runs
through the same runner as a window (`windows.steps.run_step` on the DuckDB engine).

A value `{md5: "a|b"}` in an expected row stands for the md5 hex digest of that text (the
ids the contract defines as hashes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from ruamel.yaml import YAML
from sqlglot import exp

from orgjourney_pipeline import warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.journeys import delivery
from orgjourney_pipeline.journeys import tables as journey_tables
from orgjourney_pipeline.journeys.compile import RELATION_COLUMNS
from orgjourney_pipeline.windows import steps as window_steps

CASES_DIR = Path(__file__).parent / "sql_cases"
# The journey tables a window loads from Arrow, with their schemas.
ARROW_TABLES = {
    "journey_steps": journey_tables.STEP_SCHEMA,
    "run_journeys": journey_tables.RUN_JOURNEY_SCHEMA,
    "step_updates": journey_tables.UPDATE_SCHEMA,
    "send_window_zones": delivery.SEND_WINDOW_ZONE_SCHEMA,
    "delivery_caps": delivery.DELIVERY_CAP_SCHEMA,
    "delivery_settings": delivery.DELIVERY_SETTINGS_SCHEMA,
}


def _cases() -> list:
    yaml = YAML(typ="safe")
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.load(path.read_text())
        for case in document["cases"]:
            params.append(pytest.param(document["step"], case, id=f"{path.stem}: {case['name']}"))
    return params


def _step(name: str) -> window_steps.SqlStep:
    for step in window_steps.flat_steps(window_steps.load_steps()):
        if step.name == name:
            return step
    raise LookupError(f"no window step {name}")


def test_there_are_cases_for_the_subtlest_steps():
    steps = {case.values[0] for case in _cases()}
    wanted = {
        "56_entry_candidates",
        "57_new_enrollments",
        "71_walk_ready",
        "80_recipients",
        "40_new_conversions",
    }
    assert wanted <= steps


@pytest.mark.parametrize("step_name, case", _cases())
def test_window_step(step_name: str, case: dict[str, Any]) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    warehouse.upgrade(con)
    engine = DuckDBEngine(con)
    step = _step(step_name)
    for table, spec in case.get("tables", {}).items():
        _load(con, table, spec)
    read = {table.name for table in step.statement.find_all(exp.Table)}
    for table in (read & set(ARROW_TABLES)) - set(case.get("tables", {})):
        _load(con, table, [])  # a journey table the case leaves empty
    compiled = {name: f"select * from compiled_{name}" for name in step.compiled_relations}
    for name in step.compiled_relations:
        if f"compiled.{name}" not in case.get("tables", {}):
            _load(con, f"compiled.{name}", [])
    window_steps.run_step(engine, step, _params(case.get("params", {})), compiled)
    expected = [_expected_row(row) for row in case["expect"]]
    columns = sorted({column for row in expected for column in row})
    if not columns:  # no rows expected
        assert con.execute(_select(step.target, ["1"])).fetchall() == []
        return
    actual = [
        dict(zip(columns, row, strict=True))
        for row in con.execute(_select(step.target, columns)).fetchall()
    ]
    assert _sorted(actual) == _sorted(expected)


def _load(con: duckdb.DuckDBPyConnection, table: str, spec: Any) -> None:
    """Rows of a table: inserted into a warehouse table, else a temp table of typed columns."""
    rows, types = (spec, {}) if isinstance(spec, list) else (spec["rows"], spec.get("types", {}))
    if table.startswith("compiled."):
        name = table.removeprefix("compiled.")
        types = {**RELATION_COLUMNS[name], **types}
        table = f"compiled_{name}"
    if table in ARROW_TABLES:
        schema = ARROW_TABLES[table]
        defaults = {f.name: False if pa.types.is_boolean(f.type) else None for f in schema}
        instants = {f.name for f in schema if pa.types.is_timestamp(f.type)}
        rows = [
            {k: datetime.fromisoformat(v) if k in instants and v else v for k, v in r.items()}
            for r in rows
        ]
        con.register("_case_rows", pa.Table.from_pylist([{**defaults, **r} for r in rows], schema))
        con.execute(f"create or replace temp table {table} as select * from _case_rows")
        return
    existing = {
        name
        for (name,) in con.execute("select table_name from information_schema.tables").fetchall()
    }
    if table in existing and not types:
        if rows:
            con.register("_case_rows", pa.Table.from_pylist(rows))
            con.execute(f"insert into {table} by name select * from _case_rows")
        return
    columns = {**dict.fromkeys((c for r in rows for c in r), "varchar"), **types}
    source = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows]) if rows else None
    selects = [
        exp.cast(exp.column(name) if source else exp.Null(), exp.DataType.build(kind)).as_(name)
        for name, kind in columns.items()
    ]
    query = exp.select(*selects)
    if source is not None:
        con.register("_case_rows", source)
        query = query.from_("_case_rows")
    else:
        query = query.where(exp.false())
    con.execute(f"create or replace temp table {table} as {query.sql('duckdb')}")


def _params(values: dict[str, Any]) -> dict[str, Any]:
    params = {"walk_pass": 1, "load_seq": 1, "prev_load_seq": 0}
    for name, value in values.items():
        instant = _looks_like_instant(value) and name != "window_key"  # the key is text
        params[name] = datetime.fromisoformat(value) if instant else value
    if "window_end" in params and "window_key" not in params:
        params["window_key"] = params["window_end"].strftime("%Y-%m-%dT%H:%MZ")
    return params


def _looks_like_instant(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] in "T "


def _expected_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        column: hashlib.md5(value["md5"].encode()).hexdigest()
        if isinstance(value, dict) and "md5" in value
        else datetime.fromisoformat(value)
        if _looks_like_instant(value)
        else value
        for column, value in row.items()
    }


def _select(table: str, columns: list[str]) -> str:
    query = exp.select(*(exp.column(c) if c != "1" else exp.Literal.number(1) for c in columns))
    query = query.from_(table)
    return query.sql("duckdb")


def _sorted(rows: list[dict[str, Any]]) -> list[tuple]:
    return sorted(tuple((k, repr(v)) for k, v in sorted(row.items())) for row in rows)
