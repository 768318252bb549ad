"""The reliability figures, measured again: SIGKILLs survived, concurrent trials, determinism.

Usage (from the repository root; `make reliability` runs it with the defaults):

    .venv/bin/python tools/reliability.py [--rounds 3] [--determinism 2]

Runs the crash tests (`tests/test_crash.py`: a `run` killed at every window step and export
point, `ingest` killed while it creates the schema and inside a big file, processes killed
while creating a warehouse) and the concurrency tests (`tests/test_concurrency.py`: runs,
ingests, threads and Dagster runs raced) `--rounds` times, then compares `--determinism`
pairs of independent runs of one checkout on the same inputs (`tools/same_tables.py`, every
contract table row for row). Prints the totals, and exits 1 at the first failure.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _constants(name: str):
    """A test module's constants (it is loaded, not run)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "tests"))
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def kills_per_round() -> int:
    crash = _constants("test_crash")
    return crash.CRASH_POINTS + len(crash.FIRST_KILLS) + crash.MORE_KILLS + crash.CREATE_KILLS


def trials_per_round() -> int:
    return _constants("test_concurrency").TRIALS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--determinism", type=int, default=2)
    options = parser.parse_args()
    started = time.monotonic()
    tests = ["tests/test_crash.py", "tests/test_concurrency.py"]
    for round_ in range(1, options.rounds + 1):
        print(f"round {round_}/{options.rounds}: crash and concurrency tests", flush=True)
        done = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests])
        if done.returncode:
            return 1
    for pair in range(1, options.determinism + 1):
        print(f"determinism {pair}/{options.determinism}: two runs, every table", flush=True)
        same = [PYTHON, str(ROOT / "tools" / "same_tables.py"), str(ROOT), str(ROOT)]
        if subprocess.run([*same, "--scale", "xs", "--windows", "10"]).returncode:
            return 1
    print(
        f"SIGKILLs survived: {options.rounds * kills_per_round()}; concurrent trials:"
        f" {options.rounds * trials_per_round()}; determinism comparisons:"
        f" {options.determinism}, all identical; {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
