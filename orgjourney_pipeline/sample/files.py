"""Writing sample files: a whole sample (snapshots and day files of history), an hour of new
activity, an hourly CRM sync; their names and formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orgjourney_pipeline.sample.activities import Segment, history_days
from orgjourney_pipeline.sample.generator import Generator
from orgjourney_pipeline.sample.sizes import SampleManifest, SampleSize, resolve_size
from orgjourney_pipeline.sample.snapshots import SNAPSHOT_KINDS
from orgjourney_pipeline.sample.world import HOUR_US, epoch_us

# The file formats: one per snapshot kind, the activity days' in turn.
EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}
FORMAT_PLANS: dict[str, dict[str, Any]] = {
    "mixed": {
        "organizations": "csv",
        "contacts": "parquet",
        "memberships": "csv",
        "subscriptions": "jsonl",
        "activities": ("parquet", "jsonl", "csv"),  # day by day, in turn
    },
    "parquet": {
        "organizations": "parquet",
        "contacts": "parquet",
        "memberships": "parquet",
        "subscriptions": "parquet",
        "activities": ("parquet",),
    },
    "csv": {
        "organizations": "csv",
        "contacts": "csv",
        "memberships": "csv",
        "subscriptions": "csv",
        "activities": ("csv",),
    },
}


def write_sample(
    out_dir: Path,
    size: str | SampleSize = "demo",
    seed: int = 7,
    end: datetime = datetime(2026, 11, 1),
    formats: str = "mixed",
) -> SampleManifest:
    """Write snapshots and `size.days` of activity ending at `end` into `out_dir`.

    `formats="mixed"` spreads CSV, Parquet and JSON Lines over the kinds and the activity
    days; `formats="parquet"` writes Parquet only (the fast choice at large scales).
    """
    scale = resolve_size(size)
    if formats not in FORMAT_PLANS:
        raise ValueError(f"formats must be one of {sorted(FORMAT_PLANS)}, not {formats!r}")
    end = _hour_aligned(end, "end")
    start = end - timedelta(days=scale.days)
    plan = FORMAT_PLANS[formats]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    counts: dict[str, int] = {}
    with Generator(scale, seed) as generator:
        for kind in SNAPSHOT_KINDS:
            fmt = plan[kind]
            path = out_dir / f"{kind}{EXTENSIONS[fmt]}"
            counts[kind] = generator.write_snapshot(kind, path, fmt, start=start, end=end)
            files.append(path)
        counts["activities"] = duplicates = 0
        for day, segments in enumerate(history_days(scale, start)):
            if not any(segment.own and segment.events for segment in segments):
                continue  # a day without events: no file (an empty JSON Lines file is unreadable)
            fmt = plan["activities"][day % len(plan["activities"])]
            day_start = start + timedelta(days=day)
            stamp = day_start.strftime("%Y-%m-%d" if day_start.hour == 0 else "%Y-%m-%dT%H")
            path = out_dir / f"activities-{stamp}{EXTENSIONS[fmt]}"
            rows, repeated = generator.write_activities(path, fmt, segments, stream=0)
            counts["activities"] += rows
            duplicates += repeated
            files.append(path)
    return SampleManifest(files, start, end, counts, duplicates)


def write_hour(out_dir: Path, size: str | SampleSize, seed: int, hour_start: datetime) -> Path:
    """Write one hour of new activity (`events_per_hour` rows) as `activities-<hour>.parquet`.

    Event ids are `ev-<YYYYMMDDHH>-<n>`: disjoint from the history's and from other hours'.
    """
    scale = resolve_size(size)
    hour_start = _hour_aligned(hour_start, "hour_start")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"activities-{hour_start:%Y-%m-%dT%H}.parquet"
    segment = Segment(epoch_us(hour_start), first=0, events=scale.events_per_hour, own=True)
    with Generator(scale, seed) as generator:
        generator.write_activities(
            path,
            "parquet",
            [segment],
            stream=epoch_us(hour_start) // HOUR_US,
            id_prefix=f"ev-{hour_start:%Y%m%d%H}-",
            id_digits=max(7, len(str(scale.events_per_hour))),
        )
    return path


def write_hour_snapshots(
    out_dir: Path,
    size: str | SampleSize,
    seed: int,
    hour_start: datetime,
    *,
    history: tuple[datetime, datetime],
    share: float = 0.03,
    org_share: float | None = None,
) -> list[Path]:
    """Write an hourly CRM sync: complete organizations and contacts snapshots as of
    `hour_start` in which about `share` (1-10 %) of the contacts and `org_share` (default a
    third of `share`) of the organizations changed since the history's snapshots (`history`
    is the sample's (start, end), as `write_sample` returned it).
    """
    scale = resolve_size(size)
    hour_start = _hour_aligned(hour_start, "hour_start")
    org_share = share / 3 if org_share is None else org_share
    if not (0 <= share <= 1 and 0 <= org_share <= 1):
        raise ValueError(f"shares must be between 0 and 1, not {share} and {org_share}")
    start, end = (_hour_aligned(instant, "history") for instant in history)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with Generator(scale, seed) as generator:
        for kind, kind_share in (("organizations", org_share), ("contacts", share)):
            path = out_dir / f"{kind}-{hour_start:%Y-%m-%dT%H}.parquet"
            generator.write_snapshot(
                kind, path, "parquet", start=start, end=end, changed=(hour_start, kind_share)
            )
            paths.append(path)
    return paths


def _hour_aligned(instant: datetime, name: str) -> datetime:
    """`instant` as naive UTC; it must fall on a whole hour."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    if (instant.minute, instant.second, instant.microsecond) != (0, 0, 0):
        raise ValueError(f"{name} must be on a whole UTC hour, not {instant.isoformat()}")
    return instant
