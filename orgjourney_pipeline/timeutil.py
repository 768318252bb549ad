"""Instants as the warehouse stores them: naive UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(text: str) -> datetime:
    """Parse ISO-8601 (`2026-01-05T09:00`, `..Z`, `..+02:00`, or a bare date) to naive UTC.

    A value without an offset is UTC.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return instant


def format_instant(instant: datetime) -> str:
    """`2026-01-05T09:00Z` style, for messages."""
    return instant.strftime("%Y-%m-%dT%H:%MZ")


def json_instant(instant: datetime) -> str:
    """`2026-01-05T09:00:00Z` style, for the `--json` documents (seconds kept)."""
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
