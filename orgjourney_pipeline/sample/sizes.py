"""How much a sample holds: its sizes (the named scales) and what a written sample is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class SampleSize:
    """How much to generate: snapshot sizes, history events over `days`, and hourly events."""

    name: str
    organizations: int
    contacts: int
    events: int  # distinct events in the history
    events_per_hour: int  # steady-state new events an hour (`write_hour`)
    days: int  # history length, ending at the sample's end

    def __post_init__(self) -> None:
        if self.organizations < 1 or self.days < 1:
            raise ValueError(f"sample size {self.name!r}: needs at least 1 organization and day")
        if self.contacts < self.organizations:
            raise ValueError(
                f"sample size {self.name!r}: every organization has a contact, so contacts "
                f"({self.contacts}) must be at least organizations ({self.organizations})"
            )
        if self.events < 0 or self.events_per_hour < 0:
            raise ValueError(f"sample size {self.name!r}: event counts must not be negative")


SCALES: dict[str, SampleSize] = {
    size.name: size
    for size in (
        SampleSize("demo", 300, 1_500, 20_000, events_per_hour=30, days=30),
        SampleSize("xs", 1_000, 10_000, 100_000, events_per_hour=1_000, days=90),
        SampleSize("s", 10_000, 100_000, 1_000_000, events_per_hour=10_000, days=90),
        SampleSize("m", 100_000, 1_000_000, 10_000_000, events_per_hour=100_000, days=90),
        SampleSize("l", 1_000_000, 10_000_000, 100_000_000, events_per_hour=1_000_000, days=90),
    )
}


@dataclass(frozen=True)
class SampleManifest:
    """What `write_sample` wrote: the files in ingest order, the history span, rows per kind."""

    files: list[Path]
    start: datetime  # naive UTC, hour-aligned: the snapshots' snapshot_at, the first event hour
    end: datetime  # naive UTC, hour-aligned: every event is before it
    counts: dict[str, int]  # rows written per kind (activities include the duplicates)
    duplicate_events: int = 0  # activity rows repeating an event_id written in an earlier file


def resolve_size(size: str | SampleSize) -> SampleSize:
    """A scale by name (`demo`, `xs`, `s`, `m`, `l`) or a SampleSize as it is."""
    if isinstance(size, SampleSize):
        return size
    try:
        return SCALES[size]
    except KeyError:
        raise ValueError(f"unknown sample size {size!r} (known: {', '.join(SCALES)})") from None
