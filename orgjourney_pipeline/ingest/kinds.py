"""File kinds and formats, field types and reason codes, and what one file's load reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

KINDS = ("organizations", "contacts", "memberships", "subscriptions", "activities")
FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass
class FileResult:
    """What happened to one input file."""

    file: str  # the path as given or found in a folder
    kind: str | None  # organizations | contacts | memberships | subscriptions | activities
    format: str | None  # csv | parquet | jsonl
    status: str  # "loaded" | "already_loaded" | "rejected" | "skipped" (a hidden entry, ...)
    rows_total: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0  # activities whose event_id was seen before
    rows_rejected: int = 0  # rows written to rejected_rows
    snapshot_at: datetime | None = None  # the (latest) snapshot the file contributed to
    message: str = ""  # for a whole-file reject: the file and the problem


@dataclass
class IngestReport:
    """The files of one `ingest_paths` call, in the order they were processed."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False if any file was rejected whole (rejected rows, skipped entries keep it true)."""
        return all(result.status != "rejected" for result in self.files)


class FileRejected(Exception):
    """The file is rejected whole; the message says why (without the file name)."""


def file_kind(path: str | Path) -> str | None:
    """The kind a file's name says: its first word before '-', '_' or '.' (None if unknown)."""
    name = Path(path).name
    for separator in "-_.":
        name = name.split(separator, 1)[0]
    word = name.lower()
    return word if word in KINDS else None


def file_format(path: str | Path) -> str | None:
    """csv | parquet | jsonl from the file's extension (None if unknown)."""
    return FORMATS.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class Kind:
    """One kind of input file: its keys, required and built-in columns, and history table."""

    name: str
    keys: tuple[str, ...]
    required: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # built-in columns (keys first) and their field types
    versions: str | None  # the *_versions table; None for activities (events, not snapshots)
    custom_fields: bool  # whether other columns become typed custom fields


SPECS = {
    spec.name: spec
    for spec in (
        Kind(
            "organizations",
            keys=("org_id",),
            required=("org_id",),
            columns=(
                ("org_id", "text"),
                ("name", "text"),
                ("tags", "tags"),
                ("timezone", "text"),
                ("created_at", "timestamp"),
            ),
            versions="organization_versions",
            custom_fields=True,
        ),
        Kind(
            "contacts",
            keys=("contact_id",),
            required=("contact_id",),
            columns=(
                ("contact_id", "text"),
                ("email", "text"),
                ("phone", "text"),
                ("first_name", "text"),
                ("last_name", "text"),
                ("tags", "tags"),
                ("sms_opt_in", "bool"),
            ),
            versions="contact_versions",
            custom_fields=True,
        ),
        Kind(
            "memberships",
            keys=("contact_id", "org_id"),
            required=("contact_id", "org_id"),
            columns=(("contact_id", "text"), ("org_id", "text")),
            versions="membership_versions",
            custom_fields=False,
        ),
        Kind(
            "subscriptions",
            keys=("contact_id", "audience"),
            required=("contact_id", "audience", "status"),
            columns=(("contact_id", "text"), ("audience", "text"), ("status", "status")),
            versions="subscription_versions",
            custom_fields=False,
        ),
        Kind(
            "activities",
            keys=("event_id",),
            required=("event_id", "contact_id", "activity_type", "occurred_at"),
            columns=(
                ("event_id", "text"),
                ("contact_id", "text"),
                ("activity_type", "text"),
                ("occurred_at", "timestamp"),
                ("properties", "json"),
            ),
            versions=None,
            custom_fields=False,
        ),
    )
}

CUSTOM_SQL_TYPES = {
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "text": "VARCHAR",
}
REASON_CODES = {
    "timestamp": "bad_timestamp",
    "date": "bad_timestamp",
    "number": "bad_number",
    "bool": "bad_bool",
    "json": "bad_json",
    "status": "bad_value",
}
# Columns of the *_versions tables that a file's custom column must not take.
RESERVED = ("valid_from", "valid_to", "row_hash")
SNAPSHOT_COLUMN = "snapshot_at"
HISTORY_COLUMNS = ("valid_from", "valid_to", "row_hash")

# A number is written as a JSON number: an optional '-', no leading '+', and no leading zero
# followed by a digit. So "0", "-0.5", "12" and "1e3" are numbers, while "007", "+5", ".5",
# "1,000" and " 5" make the column text (a zip code or an id with a leading zero stays
# intact). A value written as a number that is not a finite double (1e999) is a bad number.
# Numbers are stored as doubles, exact to 15 digits: a value with more integer digits is an
# id rather than a quantity (1234567890123456789 would come back as ...800), so it makes the
# column text instead of being silently rounded.
NUMBER_RE = r"-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?([eE][+-]?[0-9]+)?"
DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _datetime_re(t: str, z: str) -> str:
    """The date-time pattern, with `t` the date/time separators and `z` the UTC letters."""
    offset = rf"({z}|[+-](0[0-9]|1[0-7])(:?[0-5][0-9])?|[+-]18(:?00)?)"
    return DATE_RE + t + r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?" + offset + "?"


# ISO-8601 / RFC 3339 date-time: 'T' (either case) or space, minutes required, optional
# seconds and fraction, optional offset (Z in either case, +hh, +hhmm, +hh:mm) up to ±18:00.
# Stricter than DuckDB's cast, which also takes 'epoch' and offsets such as +99:00. The
# instant must also fall in the years 1 to 9999 once the offset is applied (values/timestamp).
DATETIME_RE = _datetime_re("[Tt ]", "[Zz]")
TIMESTAMP_RE = f"({DATE_RE}|{DATETIME_RE})"
# The same with 'T' and 'Z' upper case: a text it matches whole has no blank at either end and
# no lower-case letter, so it is its own `upper(trim(...))` (values/timestamp's fast path).
TIMESTAMP_UPPER_RE = f"({DATE_RE}|{_datetime_re('[T ]', 'Z')})"
NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
)
