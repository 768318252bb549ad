"""Schema files are applied once and never edited; views are recreated on every upgrade.

Each test works on a copy of `sql/` (the warehouse module reads it through `sql_dir`), so it
can edit a schema or view file as a developer would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from orgjourney_pipeline import contract, sqlfiles, warehouse
from orgjourney_pipeline.settings import sql_dir

ANALYSTS_VIEWS = {
    "organizations",
    "contacts",
    "memberships",
    "subscriptions",
    "enrollments",
    "contact_activity_parts",
    "org_activity",
    "journey_funnel",
    "journey_summary",
    "journey_lift",
}


@pytest.fixture
def sql_copy(tmp_path, monkeypatch) -> Path:
    """A copy of `sql/` that the warehouse module reads instead."""
    copy = tmp_path / "sql"
    shutil.copytree(sql_dir(), copy)
    monkeypatch.setattr(warehouse, "sql_dir", lambda: copy)
    return copy


def ledger(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select * from schema_migrations order by name").fetchall()


def view_names(con) -> set[str]:
    return {name for (name,) in con.execute("select view_name from duckdb_views()").fetchall()}


def view_name(path: Path) -> str:
    """`31_org_activity.sql` -> `org_activity`."""
    return path.stem.split("_", 1)[1]


def test_every_analysts_view_has_a_file_and_exists_in_a_new_warehouse(con):
    # `organizations` is made by code: its columns follow the fields (the overlay).
    created = {view_name(path) for path in warehouse.view_files()} | {"organizations"}
    assert created == ANALYSTS_VIEWS
    assert view_names(con) >= ANALYSTS_VIEWS


def test_a_view_file_replaces_the_view_it_is_named_after():
    for path in warehouse.view_files():
        statement = sqlfiles.load(path).statement
        assert isinstance(statement, exp.Create) and statement.kind == "VIEW", path.name
        assert statement.args.get("replace"), f"{path.name}: create or replace"
        assert statement.this.name == view_name(path)


def test_a_view_reads_only_tables_and_the_views_created_before_it():
    created: set[str] = set()
    for path in warehouse.view_files():
        query = sqlfiles.load(path).statement.expression
        ctes = {cte.alias for cte in query.find_all(exp.CTE)}
        read = {table.name for table in query.find_all(exp.Table)} - ctes
        assert read & ANALYSTS_VIEWS <= created, f"{path.name} reads a view created after it"
        created.add(view_name(path))


def comments(con) -> dict[str, str]:
    rows = con.execute(
        "select table_name, comment from duckdb_tables() where comment is not null"
        " union all select view_name, comment from duckdb_views() where comment is not null"
    ).fetchall()
    return dict(rows)


def test_every_table_and_view_of_the_contract_says_what_one_row_is(con):
    found = comments(con)
    assert set(found) >= set(contract.TIME_COLUMNS)
    for name in contract.TIME_COLUMNS:
        assert found[name].startswith("One row per "), name


def test_a_view_keeps_its_comment_when_an_upgrade_recreates_it(con):
    before = comments(con)
    warehouse.upgrade(con)
    assert comments(con) == before


def test_a_changed_view_reaches_a_warehouse_made_before(sql_copy, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse.connect(path).close()
    view = sql_copy / "views" / "12_memberships.sql"
    view.write_text(view.read_text().replace("where valid_to is null", "where false"))
    before = ledger(path)
    with warehouse.connect(path) as con:
        con.execute("insert into membership_versions values ('c1', 'o1', '2026-01-01', null, 'h')")
        assert con.execute("select count(*) from memberships").fetchone() == (0,)
    assert ledger(path) == before  # views are not migrations: nothing recorded


def test_an_edited_applied_schema_file_is_refused_naming_it_and_changing_nothing(
    sql_copy, tmp_path
):
    path = tmp_path / "warehouse.duckdb"
    warehouse.connect(path).close()
    edited = sql_copy / "schema" / "011_exports.sql"
    edited.write_text(edited.read_text() + "\n-- an afterthought\n")
    (sql_copy / "schema" / "999_new.sql").write_text("-- New.\ncreate table newer (x integer);\n")
    before = ledger(path)
    for read_only in (False, True):
        with pytest.raises(warehouse.MigrationChanged) as refused:
            warehouse.connect(path, read_only=read_only)
        message = str(refused.value)
        assert str(edited) in message
        assert "restore it" in message and "new schema file" in message
    assert ledger(path) == before
    with duckdb.connect(str(path), read_only=True) as con:
        assert "newer" not in {name for (name,) in con.execute("show tables").fetchall()}


def test_the_cli_reports_an_edited_schema_file_as_an_error(sql_copy, cli_paths, orgjourney):
    orgjourney("ingest")
    edited = sql_copy / "schema" / "003_current_state.sql"
    edited.write_text(edited.read_text().replace("newest", "latest"))
    result = orgjourney("report", expect_exit=1)
    assert result.output.startswith(f"Error: {cli_paths['warehouse']}: the schema file")
    assert "003_current_state.sql was edited after it was applied" in result.output.replace(
        "\n", ""
    )


def test_a_new_schema_file_is_applied_once_and_recorded_with_its_checksum(sql_copy, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse.connect(path).close()
    new = sql_copy / "schema" / "999_new.sql"
    new.write_text("-- New.\ncreate table newer (x integer);\n")
    with warehouse.connect(path) as con:
        assert warehouse.upgrade(con) == []
        con.execute("insert into newer values (1)")
    with warehouse.connect(path) as con:
        assert con.execute("select x from newer").fetchall() == [(1,)]
    [(name, checksum, _)] = [row for row in ledger(path) if row[0] == "999_new.sql"]
    assert checksum == warehouse._checksum(new.read_text())
