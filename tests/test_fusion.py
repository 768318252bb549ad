"""The branch-fusion optimizer against its golden fixtures: exact output, and the same rows.

`tests/fusion/fuse_branches.sql` holds pairs in sqlglot's style (a `# title:` line, the input,
the expected output). Each pair must come out exactly, and both statements must give the same
rows (as a multiset) over a small database that every fixture's tables live in.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orgjourney_pipeline.journeys.fusion import fuse_branches, parse

FIXTURES = Path(__file__).parent / "fusion" / "fuse_branches.sql"

TABLES = """
create table x (k varchar, t integer);
insert into x values ('k1', 1), ('k2', 2), ('k3', 3), ('k4', null);
create table y (k varchar, t integer);
insert into y values ('y1', 3);
create table e (k varchar);
insert into e values ('k2'), ('k2'), ('k3'), ('k3'), ('k3');
create table walk (e varchar, journey_id varchar, step_id varchar, v integer);
insert into walk values ('e1', 'a', 's', 2), ('e2', 'b', 's', 3), ('e3', 'b', 's', 1),
    ('e4', 'a', 't', 5);
create table acts (org_id varchar, activity_type varchar);
insert into acts values ('o1', 'x'), ('o1', 'x'), ('o1', 'y'), ('o2', 'y'), ('o3', 'z');
create table orgs (org_id varchar);
insert into orgs values ('o1'), ('o2'), ('o3');
"""


def _fixtures() -> list:
    blocks = [block.strip() for block in FIXTURES.read_text().split("\n\n")]
    pairs = []
    for block in blocks:
        lines = [line for line in block.splitlines() if not line.startswith("--")]
        if not lines:
            continue
        title, given, expected = lines
        pairs.append(
            pytest.param(
                given.rstrip(";"), expected.rstrip(";"), id=title.removeprefix("# title: ")
            )
        )
    return pairs


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute(TABLES)
    yield connection
    connection.close()


@pytest.mark.parametrize("given, expected", _fixtures())
def test_fuse_branches_gives_the_golden_output(given: str, expected: str) -> None:
    assert fuse_branches(parse(given)).sql("duckdb") == expected


@pytest.mark.parametrize("given, expected", _fixtures())
def test_the_fused_statement_gives_the_rows_of_the_union(con, given: str, expected: str) -> None:
    assert Counter(con.execute(expected).fetchall()) == Counter(con.execute(given).fetchall())
