"""The long differential profile in rounds that add up across sessions, kept in a ledger.

Usage (from the repository root; `make differential-chunks` runs it):

    .venv/bin/python tools/differential_rounds.py [--rounds 4] [--examples 25]
    .venv/bin/python tools/differential_rounds.py --report

Each round runs the three differential tests of `tests/test_reference.py` with the `chunk`
profile (`--examples` new worlds per test) and a fresh Hypothesis seed, and appends a line to
`docs/differential/rounds.jsonl`: the seed, the examples, the seconds, passed or failed, the
commit, and the fingerprint of everything the outcome depends on (the engine's code and SQL,
the reference model and its world generator, the test module, the pinned packages; the
benchmark's code is left out). The rounds of one fingerprint add up to the examples that ran
on that code: `--report` prints them for the checkout's fingerprint, and the long profile is
done once each test has 1000 with no failed round. A failed round stops the loop; its line
keeps the seed, so `pytest ... --hypothesis-seed=SEED` replays it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "docs" / "differential" / "rounds.jsonl"
LONG_PROFILE = 1000  # examples per test, as the `long` profile runs them
TESTS = (
    "test_engine_matches_reference",
    "test_windows_in_several_invocations_match_one",
    "test_engine_matches_reference_where_sends_compete",
)
# What the differential outcome depends on, and what inside it does not.
COVERED = ("orgjourney_pipeline", "sql", "orgjourney_reference", "tests/test_reference.py")
COVERED += ("pyproject.toml",)
LEFT_OUT = ("orgjourney_pipeline/bench/", "sql/bench/")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def fingerprint() -> str:
    """A hash of the committed blobs of the covered files; refuses uncommitted changes to them,
    whose rounds could not be told apart from the commit's."""
    changed = [
        line[3:]
        for line in _git("status", "--porcelain", "--", *COVERED).splitlines()
        if not line[3:].startswith(LEFT_OUT)
    ]
    if changed:
        sys.exit(f"uncommitted changes to what the rounds cover: {', '.join(changed)}")
    blobs = [
        line
        for line in _git("ls-tree", "-r", "HEAD", "--", *COVERED).splitlines()
        if not line.split("\t", 1)[1].startswith(LEFT_OUT)
    ]
    return hashlib.sha256("\n".join(blobs).encode()).hexdigest()[:16]


def ledger() -> list[dict]:
    if not LEDGER.exists():
        return []
    return [json.loads(line) for line in LEDGER.read_text().splitlines() if line.strip()]


def totals(code: str) -> dict:
    """Examples per test that passed on `code`, and the rounds that failed on it."""
    rounds = [r for r in ledger() if r["fingerprint"] == code]
    passed = [r for r in rounds if r["passed"]]
    return {
        "fingerprint": code,
        "rounds_passed": len(passed),
        "rounds_failed": len(rounds) - len(passed),
        "examples_per_test": sum(r["examples_per_test"] for r in passed),
        "seconds": round(sum(r["seconds"] for r in passed)),
    }


def run_round(examples: int, seed: int, workers: int) -> tuple[bool, float]:
    command = [sys.executable, "-m", "pytest", "-n", str(workers), "-o", "addopts=-q"]
    command += ["-p", "no:cacheprovider", "-p", "orgjourney_reference.profiles"]
    command += ["tests/test_reference.py", "-k", " or ".join(TESTS)]
    command += ["--hypothesis-profile=chunk", f"--hypothesis-seed={seed}"]
    env = dict(os.environ, ORGJOURNEY_CHUNK_EXAMPLES=str(examples))
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env)
    return result.returncode == 0, time.monotonic() - started


def record(code: str, examples: int, seed: int, passed: bool, seconds: float) -> None:
    line = {
        "finished": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fingerprint": code,
        "commit": _git("rev-parse", "--short", "HEAD").strip(),
        "seed": seed,
        "examples_per_test": examples,
        "tests": list(TESTS),
        "seconds": round(seconds, 1),
        "passed": passed,
    }
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    with LEDGER.open("a") as out:
        out.write(json.dumps(line) + "\n")


def report(code: str) -> None:
    summary = totals(code)
    left = max(0, LONG_PROFILE - summary["examples_per_test"])
    print(
        f"fingerprint {code}: {summary['examples_per_test']} examples per test in "
        f"{summary['rounds_passed']} passed rounds ({summary['seconds']} s), "
        f"{summary['rounds_failed']} failed; {left} per test left of the long profile's "
        f"{LONG_PROFILE}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--examples", type=int, default=25, help="new worlds per test a round")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--report", action="store_true", help="print the totals and stop")
    parser.add_argument(
        "--ledger", type=Path, help="append here instead (run from a clone, record in the tree)"
    )
    args = parser.parse_args()
    global LEDGER
    LEDGER = args.ledger or LEDGER
    code = fingerprint()
    if args.report:
        report(code)
        return 0
    for number in range(1, args.rounds + 1):
        seed = random.SystemRandom().randrange(2**32)
        print(f"==> round {number} of {args.rounds}: {args.examples} worlds per test, seed {seed}")
        passed, seconds = run_round(args.examples, seed, args.workers)
        record(code, args.examples, seed, passed, seconds)
        report(code)
        if not passed:
            print(f"round {number} failed: replay it with --hypothesis-seed={seed}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
