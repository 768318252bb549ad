"""What letting readers in between windows costs a run (SPEC section 5, "Reading while a run
writes"), measured side by side in one run.

Usage (from the repository root):

    .venv/bin/python tools/reading_cost.py --scale s [--journeys 10] [--blocks 3] [--windows 2]
        [--readers 2] [--workdir DIR]

Writes the sample of `--scale` (Parquet) and the benchmark's journeys, ingests them, and then
processes the hourly windows before the sample's end in blocks of `--windows` windows, the
three ways in turn, `--blocks` times: `held` (the file open for the whole block, as a run did
before readers could get in), `released` (the file closed after each window and reopened for
the next: `warehouse.Writer`), and `released+readers` (the same, with `--readers` processes
reading in a loop beside it: `orgjourney_pipeline.read_connection` and the Python API).
Prints, per way, the median and mean seconds of a window (its SQL and its exports, start to
start), the reopening's own seconds per window, and the reads done; `--json PATH` writes them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from orgjourney_pipeline import pipeline, warehouse
from orgjourney_pipeline.bench.journeys import write_journeys
from orgjourney_pipeline.ingest import ingest_paths
from orgjourney_pipeline.sample import write_sample
from orgjourney_pipeline.settings import Settings

WAYS = ("held", "released", "released+readers")

# A reader in its own process: reads until the stop file appears, then prints its read count.
READER = """
import sys
from pathlib import Path
import orgjourney_pipeline

path, stop, which = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
reads = 0
while not stop.exists():
    if which % 2:
        orgjourney_pipeline.open(path).table("runs")
    else:
        with orgjourney_pipeline.read_connection(path) as con:
            con.execute("select count(*) from sends").fetchall()
    reads += 1
    if reads == 1:
        print("ready", flush=True)  # started and read once: the block may begin
print(reads)
"""


def main() -> None:
    options = _arguments()
    with tempfile.TemporaryDirectory(prefix="orgjourney-reading-cost-", dir=options.workdir) as d:
        root = Path(d)
        settings, first = _world(root, options)
        figures = {way: {"windows": [], "opens": [], "reads": 0} for way in WAYS}
        end = first
        for _block in range(options.blocks):
            for way in WAYS:
                end = _block_of(way, settings, end, options, figures[way])
        report = _report(figures, options)
    print(json.dumps(report, indent=2))
    if options.json:
        Path(options.json).write_text(json.dumps(report, indent=2) + "\n")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="s")
    parser.add_argument("--journeys", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--windows", type=int, default=2, help="windows per block")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json")
    return parser.parse_args()


def _world(root: Path, options: argparse.Namespace):
    """The sample ingested and the journeys written; the first window's start."""
    settings = Settings.resolve(
        warehouse=root / "warehouse.duckdb",
        journeys=root / "journeys",
        inbox=root / "inbox",
        exports=root / "exports",
    )
    manifest = write_sample(settings.inbox, size=options.scale, formats="parquet")
    write_journeys(settings.journeys, options.journeys, manifest.end)
    clock = time.perf_counter()
    with warehouse.writing(settings.warehouse) as writer:
        ingest_paths(writer.con, manifest.files)
    print(f"ingested {options.scale} in {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    hours = options.blocks * len(WAYS) * options.windows
    return settings, manifest.end - timedelta(hours=hours)


def _block_of(way: str, settings: Settings, start, options, figures: dict):
    """Process one block of windows `way`; returns the next block's start."""
    through = start + timedelta(hours=options.windows)
    stop = settings.warehouse.with_name("stop-readers")
    stop.unlink(missing_ok=True)
    readers = []
    if way == "released+readers":
        readers = [
            subprocess.Popen(
                [sys.executable, "-c", READER, str(settings.warehouse), str(stop), str(i)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # one "waiting" line per wait
                text=True,
            )
            for i in range(options.readers)
        ]
        for reader in readers:
            assert reader.stdout.readline().strip() == "ready"
    starts: list[float] = []
    with warehouse.writing(settings.warehouse) as writer:
        target = writer if way != "held" else writer.con
        opened = (writer.opens, writer.open_seconds)
        clock = time.perf_counter()
        pipeline.run_and_export(
            target,
            settings,
            through,
            start,
            on_window=lambda _result: starts.append(time.perf_counter()),
        )
        figures["opens"].append((writer.opens - opened[0], writer.open_seconds - opened[1]))
    stop.touch()
    figures["reads"] += sum(int(reader.communicate()[0]) - 1 for reader in readers)
    edges = [clock, *starts]
    figures["windows"] += [b - a for a, b in zip(edges, edges[1:], strict=False)]
    return through


def _report(figures: dict, options: argparse.Namespace) -> dict:
    report = {"scale": options.scale, "journeys": options.journeys, "readers": options.readers}
    for way, found in figures.items():
        opens = sum(n for n, _ in found["opens"])
        report[way] = {
            "windows": len(found["windows"]),
            "median_s": round(statistics.median(found["windows"]), 3),
            "mean_s": round(statistics.fmean(found["windows"]), 3),
            "reopen_s_per_window": round(sum(s for _, s in found["opens"]) / max(1, opens), 4),
            "reads": found["reads"],
        }
    return report


if __name__ == "__main__":
    main()
