"""Where ingest's time goes: a benchmark history ingested into a fresh warehouse, seconds by
ingest statement (`sql/ingest/<name>.sql`) and by kind of file, rows per second for activities.

    .venv/bin/python tools/ingest_profile.py --scale m --root /tmp/ip/m

The first call writes the history (the benchmark's generator, Parquet) under `--root`; later
calls reuse it and ingest it again into a new warehouse. `--format csv` writes CSV instead.
`--bound` then loads the same activity files with DuckDB alone (the bench's ingest bound,
`sql/bench/ingest_bound*.sql`) and prints both speeds side by side, then the bound part by
part (every column decoded with nothing stored, the insert into an in-memory warehouse, the
insert on disk and committed).
Figures from it are in docs/performance.md ("Ingest").
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from orgjourney_pipeline import sample, warehouse
from orgjourney_pipeline.bench import measure
from orgjourney_pipeline.ingest import file_kind, ingest_paths
from orgjourney_pipeline.ingest import sql as ingest_sql


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="m", choices=sorted(sample.SCALES))
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--bound", action="store_true", help="also DuckDB alone, same files")
    options = parser.parse_args()
    history = options.root / f"history-{options.format}"
    if not (history / "files.txt").exists():
        size = sample.SCALES[options.scale]
        manifest = sample.write_sample(history, size, 7, formats=options.format)
        (history / "files.txt").write_text("\n".join(str(p) for p in manifest.files))
    files = [Path(line) for line in (history / "files.txt").read_text().splitlines()]

    totals: collections.Counter = collections.Counter()
    run = ingest_sql.run

    def timed_run(con, name, /, **values):
        clock = time.perf_counter()
        result = run(con, name, **values)
        totals[name] += time.perf_counter() - clock
        return result

    ingest_sql.run = timed_run
    path = options.root / "profile.duckdb"
    path.unlink(missing_ok=True)
    con = warehouse.connect(path)
    by_kind: collections.Counter = collections.Counter()
    rows: collections.Counter = collections.Counter()
    last = [time.perf_counter()]

    def progress(result) -> None:
        # Files loaded together are reported when their transaction commits: the first of
        # them takes the group's time, and a group is of one kind.
        now = time.perf_counter()
        by_kind[result.kind] += now - last[0]
        rows[result.kind] += result.rows_total
        last[0] = now

    clock = time.perf_counter()
    report = ingest_paths(con, files, progress=progress)
    assert report.ok, [f.message for f in report.files if f.status == "rejected"]
    wall = time.perf_counter() - clock
    con.close()
    print(f"{len(files)} files, {sum(rows.values()):,} rows in {wall:.1f} s")
    for kind, seconds in by_kind.most_common():
        print(
            f"  {kind:14} {rows[kind]:>12,} rows {seconds:8.2f} s {rows[kind] / seconds:>12,.0f} rows/s"
        )
    print("by statement:")
    for name, seconds in totals.most_common(options.top):
        print(f"  {name:32} {seconds:8.2f} s")
    if options.bound:
        activities = [path for path in files if file_kind(path) == "activities"]
        parts = measure.ingest_bound_parts(options.root / "bound.duckdb", activities)
        bound_rows, bound_s = parts["disk"]  # the bench's ingest bound
        ours = rows["activities"] / by_kind["activities"]
        print(
            f"DuckDB alone, the same activity files: {bound_rows:,} rows in {bound_s:.2f} s, "
            f"{bound_rows / bound_s:,.0f} rows/s ({bound_rows / bound_s / ours:.2f}x ingest's)"
        )
        print("DuckDB alone, by part (decode: nothing stored; memory: an in-memory warehouse):")
        for part, (part_rows, seconds) in parts.items():
            speed = part_rows / seconds
            print(f"  {part:8} {part_rows:>12,} rows {seconds:8.2f} s {speed:>12,.0f} rows/s")


if __name__ == "__main__":
    main()
