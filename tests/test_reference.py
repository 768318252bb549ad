"""Differential tests: the SQL engine against the row-at-a-time reference model of SPEC.

Random worlds (organizations, contacts, snapshots that change, late and duplicated activity,
journeys whose states and versions change between invocations) run through the CLI and
through the reference; every output table must be equal. Also: windows run in several
invocations give the same tables as fewer; a second run and a dry run change nothing.

Profiles (`reference/profiles.py`): `default` and `ci` (a few examples, under two minutes) and
`long` (thousands): `pytest -p tests.reference.profiles --hypothesis-profile=long
tests/test_reference.py`.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, note
from reference import profiles, run_reference
from reference.model import TABLES
from reference.world import Driver, World, run_engine, worlds

assert profiles  # registers the Hypothesis profiles

# Set to a file path to log one line per example (to follow a long run).
PROGRESS = os.environ.get("ORGJOURNEY_REFERENCE_PROGRESS")


def progress(test: str, world: World) -> None:
    if PROGRESS:
        with open(PROGRESS, "a") as log:
            log.write(f"{test} {world.start:%m-%dT%H} {len(world.activities)} events\n")


def assert_same_tables(
    actual: dict, expected: dict, left: str = "engine", right: str = "reference"
):
    """Every table equal; on a difference, the rows only one side has."""
    problems = []
    for table in TABLES:
        if actual[table] == expected[table]:
            continue
        only_left = [row for row in actual[table] if row not in expected[table]]
        only_right = [row for row in expected[table] if row not in actual[table]]
        problems.append(
            f"{table}: only in {left}:\n  "
            + "\n  ".join(map(repr, only_left))
            + f"\n only in {right}:\n  "
            + "\n  ".join(map(repr, only_right))
        )
    assert not problems, "\n".join(problems)


# -- the differential tests -------------------------------------------------------------------


@given(world=worlds())
def test_engine_matches_reference(world: World):
    """Every output table of the engine equals the reference's; re-runs change nothing."""
    note(world.describe())
    with tempfile.TemporaryDirectory() as folder:
        engine = run_engine(world, Path(folder))
        progress("one", world)
        expected = run_reference(world.inputs, world.invocations())
        assert_same_tables(engine, expected)

        # A second run over processed windows, and a dry run of later ones, change nothing.
        driver = Driver(Path(folder))
        runs = driver.runs()
        driver.cli("run", "--through", f"{world.throughs[-1]:%Y-%m-%dT%H:%MZ}")
        later = world.throughs[-1] + timedelta(hours=3)
        driver.cli("run", "--through", f"{later:%Y-%m-%dT%H:%MZ}", "--dry-run")
        assert driver.runs() == runs
        assert_same_tables(driver.tables(), engine, "after re-runs", "before")


@given(world=worlds(max_windows=16))
def test_windows_in_several_invocations_match_one(world: World):
    """Stopping the run at more points (same files, same journeys) gives the same tables."""
    note(world.describe())
    with tempfile.TemporaryDirectory() as folder:
        fewer = run_engine(world, Path(folder) / "fewer")
        several = run_engine(world, Path(folder) / "several", split=True)
        progress("several", world)
        assert_same_tables(several, fewer, "several invocations", "fewer")
        assert_same_tables(several, run_reference(world.inputs, world.invocations()))
