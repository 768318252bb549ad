"""Every SQL file parses with sqlglot; step files are single SELECTs with a header; schema upgrades."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb
import pytest
import sqlglot

from orgjourney_pipeline import engines, sqlfiles, warehouse
from orgjourney_pipeline.engines.duckdb import DuckDBEngine
from orgjourney_pipeline.settings import sql_dir
from orgjourney_pipeline.windows import steps as sqlsteps

SQL_FILES = sorted(sql_dir().rglob("*.sql"))


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sql_file_parses_and_opens_with_a_comment(path):
    text = path.read_text()
    assert text.startswith("-- "), "a SQL file opens with a one-line comment saying what it is"
    assert all(statement is not None for statement in sqlglot.parse(text, read="duckdb"))


def _flat_steps() -> list[sqlsteps.SqlStep]:
    return sqlsteps.flat_steps(sqlsteps.load_steps())


def test_window_steps_are_selects_with_a_known_write_mode():
    steps = _flat_steps()
    assert steps, "sql/window holds the window's steps"
    for step in steps:
        assert step.write in engines.WRITE_MODES
        params = {name: datetime(2026, 1, 1, 1) for name in step.parameters}
        compiled = {name: sqlglot.exp.select("1 as x") for name in step.compiled_relations}
        rendered = step.render(params, compiled).lstrip().upper()
        assert rendered.startswith(("SELECT", "WITH")), step.name


def test_a_step_file_that_writes_is_refused(tmp_path):
    path = tmp_path / "99_bad.sql"
    path.write_text("-- bad\n-- target: runs\n-- write: append\ndelete from runs\n")
    with pytest.raises(sqlsteps.StepFileError, match="exactly one SELECT"):
        sqlsteps.parse_step(path)


def test_a_step_with_when_runs_only_when_its_parameter_is_true(tmp_path):
    path = tmp_path / "50_note.sql"
    path.write_text("-- note\n-- target: notes\n-- write: append\n-- when: busy\nselect $n as n\n")
    step = sqlsteps.parse_step(path)
    assert step.when == "busy" and step.parameters == {"busy", "n"}
    con = duckdb.connect()
    con.execute("create table notes (n integer)")
    assert sqlsteps.run_step(DuckDBEngine(con), step, {"busy": False, "n": 1}) == 0
    assert sqlsteps.run_step(DuckDBEngine(con), step, {"busy": True, "n": 2}) == 1
    assert con.execute("select n from notes").fetchall() == [(2,)]
    with pytest.raises(sqlsteps.StepFileError, match="'when' 'busy'"):
        sqlsteps.run_step(DuckDBEngine(con), step, {"n": 3})


def test_a_step_with_when_not_runs_only_when_its_parameter_is_false(tmp_path):
    path = tmp_path / "50_note.sql"
    path.write_text("-- target: notes\n-- write: append\n-- when: not busy\nselect $n as n\n")
    step = sqlsteps.parse_step(path)
    assert step.when == "busy" and step.when_not and step.parameters == {"busy", "n"}
    con = duckdb.connect()
    con.execute("create table notes (n integer)")
    assert sqlsteps.run_step(DuckDBEngine(con), step, {"busy": True, "n": 1}) == 0
    assert sqlsteps.run_step(DuckDBEngine(con), step, {"busy": False, "n": 2}) == 1
    assert con.execute("select n from notes").fetchall() == [(2,)]


def test_a_when_that_is_not_a_parameter_name_is_refused(tmp_path):
    path = tmp_path / "50_note.sql"
    path.write_text("-- target: notes\n-- write: append\n-- when: busy or idle\nselect 1 as n\n")
    with pytest.raises(sqlsteps.StepFileError, match="50_note.sql: 'when' names a parameter"):
        sqlsteps.parse_step(path)


def test_parameter_values_become_literals_not_text():
    step_file = sql_dir() / "window" / "10_window_activities.sql"
    step = sqlsteps.parse_step(step_file)
    hostile = "2026-01-01'); drop table runs; --"
    params = {name: hostile for name in step.parameters}
    rendered = step.render(params)
    # the value stays inside quoted literals: the SQL is still one SELECT
    statements = sqlglot.parse(rendered, read="duckdb")
    assert len(statements) == 1 and isinstance(statements[0], sqlglot.exp.Select)
    literals = {node.this for node in statements[0].find_all(sqlglot.exp.Literal)}
    assert hostile in literals


def test_an_older_warehouse_upgrades_itself(tmp_path):
    path = tmp_path / "old.duckdb"
    first = warehouse.schema_files()[0]
    old = duckdb.connect(str(path))
    old.execute(first.read_text())
    old.execute(
        "create table schema_migrations (name varchar primary key, checksum varchar not null,"
        " applied_at timestamp not null)"
    )
    checksum = hashlib.sha256(first.read_bytes()).hexdigest()
    old.execute("insert into schema_migrations values (?, ?, now())", [first.name, checksum])
    old.close()
    con = warehouse.connect(path)
    applied = [
        name for (name,) in con.execute("select name from schema_migrations order by 1").fetchall()
    ]
    assert applied == [p.name for p in warehouse.schema_files()]
    assert "runs" in {name for (name,) in con.execute("show tables").fetchall()}
    assert warehouse.upgrade(con) == []


# Schema files are DDL scripts of several statements, without parameters.
STATEMENT_FILES = [path for path in SQL_FILES if path.parent.name != "schema"]


@pytest.mark.parametrize("path", STATEMENT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_files_params_line_names_exactly_its_placeholders(path):
    sql_file = sqlfiles.parse_text(path.read_text(), path)
    assert sql_file.declared_params == sql_file.placeholders


def test_ingest_statements_and_value_expressions_are_covered():
    """Ingest runs only statements from sql/ingest/ (and expressions from sql/ingest/values/)."""
    ingest = {path.relative_to(sql_dir()).as_posix() for path in STATEMENT_FILES}
    assert "ingest/stage_rows.sql" in ingest and "ingest/values/timestamp.sql" in ingest
    for path in (sql_dir() / "ingest").rglob("*.sql"):
        sql_file = sqlfiles.parse_text(path.read_text(), path)
        assert "grain" in sql_file.header, path.name
