"""Run two checkouts of orgjourney on the same inputs and compare every contract table.

Usage (from the repository root):

    .venv/bin/python tools/same_tables.py OLD_CHECKOUT NEW_CHECKOUT [--scale xs] [--windows 10]

The inputs — a seeded sample of the scale and the benchmark's 50 journeys — are generated
once, by the checkout this script belongs to. Each checkout then ingests them and processes
the last `--windows` hours through its own command line, in a warehouse of its own; the
tables of SPEC section 4 are read back, sorted, and compared row for row (wall-clock columns
aside: `runs.started_at`, `finished_at` and the per-step `counts`). Prints one line per table
and exits 1 if any differs. To compare with an earlier commit:
`git worktree add /tmp/before <commit>`, then pass `/tmp/before` as OLD_CHECKOUT.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orgjourney_pipeline import bench, sample  # noqa: E402  (the script runs from a checkout)

TABLES = {
    "enrollments": "select * from enrollments",
    "enrollment_steps": "select * from enrollment_steps",
    "sends": "select * from sends",
    "suppressions": "select * from suppressions",
    "unsubscribes": "select * from unsubscribes",
    "org_updates": "select * from org_updates",
    "conversions": "select * from conversions",
    "org_activity": "select * from org_activity",
    "organizations": "select * from organizations",
    "journeys": "select journey_id, version, state, name, definition_hash, first_run_at"
    " from journeys",
    "runs": "select window_start, window_end, status, load_seq_through from runs",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--scale", default="xs")
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--journeys", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="same-tables-") as folder:
        root = Path(folder)
        manifest = sample.write_sample(root / "inbox", size=args.scale, seed=7)
        bench.write_journeys(root / "journeys", args.journeys, manifest.end)
        start = manifest.end - timedelta(hours=args.windows)
        digests = {
            name: _run(checkout, root, name, start, manifest.end)
            for name, checkout in (("old", args.old), ("new", args.new))
        }
    differ = 0
    for table in TABLES:
        old, new = digests["old"][table], digests["new"][table]
        same = old == new
        differ += not same
        print(f"{table:18} {old[0]:>9} rows  {'identical' if same else 'DIFFERENT'}  {new[0]:>9}")
    print("all tables identical" if not differ else f"{differ} table(s) differ")
    return 1 if differ else 0


def _run(checkout: Path, root: Path, name: str, start, end) -> dict[str, tuple[int, str]]:
    warehouse = root / f"{name}.duckdb"
    common = [
        "--warehouse",
        str(warehouse),
        "--journeys",
        str(root / "journeys"),
        "--inbox",
        str(root / "inbox"),
        "--exports",
        str(root / f"{name}-exports"),
    ]
    for command in (["ingest"], ["run", "--from", start.isoformat(), "--through", end.isoformat()]):
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from orgjourney_pipeline.cli import main; main()",
                *common,
                *command,
            ],
            cwd=checkout,
            env={
                "PYTHONPATH": str(checkout),
                "PATH": "/usr/bin:/bin",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            check=True,
            capture_output=True,
        )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return {table: _digest(con.execute(sql).fetchall()) for table, sql in TABLES.items()}


def _digest(rows: list[tuple]) -> tuple[int, str]:
    text = "\n".join(sorted(repr(row) for row in rows))
    return len(rows), hashlib.sha256(text.encode()).hexdigest()[:16]


if __name__ == "__main__":
    sys.exit(main())
