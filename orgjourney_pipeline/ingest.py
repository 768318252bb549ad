"""Ingest: input files -> history tables, `rejected_rows` and the file ledger (SPEC section 1).

Each file is loaded in its own transaction together with its row in the ledger
`ingested_files`, which is keyed by the sha256 of the file's bytes, so a file loads exactly
once whatever its name. Loading a file:

1. read   CSV with Arrow (every column as text, after DuckDB's strict parser has checked
          the quoting), Parquet and JSON Lines with DuckDB; every row carries its 1-based
          row number (CSV: the record after the header; JSON Lines: its line number);
2. check  the columns: a file that cannot be read or lacks a required column is rejected
          whole, and nothing of it is written;
3. type   the custom fields of organizations and contacts, adding new ones to the
          `*_versions` table (a type conflicting with the recorded one turns the field to text;
          a field recorded before it had any value takes the type of its first values);
4. stage  every row into a temp table with its typed values and, if it is rejected, why;
5. write  the rejected rows, then append the new activities (deduplicated on event_id) or
          fold each snapshot into its `*_versions` table as changes (`_fold_snapshot`).

Row work is set-wise SQL; Python only composes the statements (identifiers quoted, values
passed as parameters, fixed literals rendered by sqlglot).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlglot import exp

from orgjourney_pipeline.warehouse import table_columns, transaction, utc_now

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
    status: str  # "loaded" | "already_loaded" | "rejected"
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
        """False if any file was rejected whole (rejected rows alone keep it true)."""
        return all(result.status != "rejected" for result in self.files)


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path] | str | Path,
    *,
    as_of: datetime | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Load files or folders (folders: every file inside, recursively, sorted).

    Files go in kind order (organizations, contacts, memberships, subscriptions, activities),
    then by file name, each in its own transaction. `as_of` (naive UTC) is the snapshot time
    of snapshot files without a `snapshot_at` column; without it they take the load time.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    # One load time for the whole call, so the files of a kind loaded together without a
    # snapshot time form one snapshot instead of each replacing the one before.
    loaded_at = utc_now()
    default_snapshot_at = _naive_utc(as_of) if as_of is not None else loaded_at
    report = IngestReport()
    for path in _ordered_files(paths):
        result = _ingest_file(con, path, default_snapshot_at, loaded_at)
        report.files.append(result)
        if progress is not None:
            progress(result)
    return report


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


def read_as_of(con: duckdb.DuckDBPyConnection, kind: str, at: datetime) -> pa.Table:
    """The state of a snapshot kind as of `at` (naive UTC), sorted by key.

    Columns as in the current-state views: the versions' columns without valid_to and
    row_hash (valid_from is when the row took its values).
    """
    spec = _KINDS.get(kind)
    if spec is None or spec.versions is None:
        raise ValueError(f"not a snapshot kind: {kind!r}")
    columns = [
        name for name in table_columns(con, spec.versions) if name not in ("valid_to", "row_hash")
    ]
    return con.sql(
        f"select {', '.join(_q(name) for name in columns)} from {spec.versions} "
        "where valid_from <= $at and (valid_to is null or valid_to > $at) "
        f"order by {', '.join(_q(key) for key in spec.keys)}",
        params={"at": _naive_utc(at)},
    ).to_arrow_table()


# --- kinds and field types -------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    keys: tuple[str, ...]
    required: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # built-in columns (keys first) and their field types
    versions: str | None  # the *_versions table; None for activities (events, not snapshots)
    custom_fields: bool  # whether other columns become typed custom fields


_KINDS = {
    spec.name: spec
    for spec in (
        _Kind(
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
        _Kind(
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
        _Kind(
            "memberships",
            keys=("contact_id", "org_id"),
            required=("contact_id", "org_id"),
            columns=(("contact_id", "text"), ("org_id", "text")),
            versions="membership_versions",
            custom_fields=False,
        ),
        _Kind(
            "subscriptions",
            keys=("contact_id", "audience"),
            required=("contact_id", "audience", "status"),
            columns=(("contact_id", "text"), ("audience", "text"), ("status", "status")),
            versions="subscription_versions",
            custom_fields=False,
        ),
        _Kind(
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

_CUSTOM_SQL_TYPES = {
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "text": "VARCHAR",
}
_REASON_CODES = {
    "timestamp": "bad_timestamp",
    "date": "bad_timestamp",
    "number": "bad_number",
    "bool": "bad_bool",
    "json": "bad_json",
    "status": "bad_value",
}
# Columns of the *_versions tables that a file's custom column must not take.
_RESERVED = ("valid_from", "valid_to", "row_hash")
_SNAPSHOT_COLUMN = "snapshot_at"

# A number is written as a JSON number: an optional '-', no leading '+', and no leading zero
# followed by a digit. So "0", "-0.5", "12" and "1e3" are numbers, while "007", "+5", ".5",
# "1,000" and " 5" make the column text (a zip code or an id with a leading zero stays
# intact). A value written as a number that is not a finite double (1e999) is a bad number.
# Numbers are stored as doubles, exact to 15 digits: a value with more integer digits is an
# id rather than a quantity (1234567890123456789 would come back as ...800), so it makes the
# column text instead of being silently rounded.
_NUMBER_RE = r"-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?([eE][+-]?[0-9]+)?"
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# ISO-8601 date-time: 'T' or space, minutes required, optional seconds and fraction, optional
# offset (Z, +hh, +hhmm, +hh:mm). Stricter than DuckDB's cast, which also takes 'epoch' etc.
_DATETIME_RE = (
    _DATE_RE + r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_TIMESTAMP_RE = f"({_DATE_RE}|{_DATETIME_RE})"
_NUMERIC_TYPES = (
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

# Temp objects of one file's load (connection-local; dropped after each file).
_CSV_VIEW = "_ingest_csv"
_RAW_LINES = "_ingest_raw_lines"
_LINES = "_ingest_lines"
_JSON_SOURCE = "_ingest_json"
_STAGE = "_ingest_stage"
_SNAP = "_ingest_snap"
_CURRENT = "_ingest_current"
_CHANGED = "_ingest_changed"
_MERGED = "_ingest_merged"


class _FileRejected(Exception):
    """The file is rejected whole; the message says why (without the file name)."""


@dataclass
class _Source:
    """A file opened as a relation: its columns plus __row_number (and JSON Lines' guard)."""

    relation: str  # a FROM item
    params: dict[str, Any]  # the parameters `relation` uses
    columns: dict[str, str]  # the file's columns -> DuckDB type, in file order
    rows: int  # data rows (JSON Lines: non-blank lines)
    raw: str  # the original row as JSON text, over the relation aliased `r`
    is_object: str | None = None  # JSON Lines: column saying the line is a JSON object
    typed: bool = False  # Parquet: custom field types come from the file's column types


@dataclass
class _Column:
    """One column to stage: where it comes from in the file and the type it must have."""

    name: str  # the column in the warehouse (or an internal name such as __snapshot_at)
    source: str | None  # the file's column, None when the file lacks it
    source_type: str  # the DuckDB type of the file's column
    type: str  # text | tags | timestamp | date | number | bool | status | json


# --- one file --------------------------------------------------------------------------------


def _ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, default_snapshot_at: datetime, loaded_at: datetime
) -> FileResult:
    kind, fmt = file_kind(path), file_format(path)
    result = FileResult(file=str(path), kind=kind, format=fmt, status="rejected")
    if fmt is None:
        result.message = (
            f"{path}: unknown file type {path.suffix!r} (expected .csv, .parquet, .jsonl)"
        )
        return result
    if kind is None:
        result.message = f"{path}: unknown kind: the name must start with one of {', '.join(KINDS)}"
        return result
    try:
        content_hash = _content_hash(path)
    except OSError as error:
        result.message = f"{path}: cannot read: {error.strerror or error}"
        return result
    seen = con.execute(
        "select snapshot_at from ingested_files where content_hash = $hash limit 1",
        {"hash": content_hash},
    ).fetchone()
    if seen is not None:
        result.status, result.snapshot_at = "already_loaded", seen[0]
        return result
    load = _FileLoad(con, path, _KINDS[kind], fmt, default_snapshot_at, loaded_at)
    try:
        with transaction(con):
            load.run(result, content_hash)
    except _FileRejected as rejection:
        return FileResult(
            file=str(path), kind=kind, format=fmt, status="rejected", message=f"{path}: {rejection}"
        )
    finally:
        load.cleanup()
    result.status = "loaded"
    return result


class _FileLoad:
    """Loading one file inside its transaction (see the module docstring for the steps)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        spec: _Kind,
        fmt: str,
        default_snapshot_at: datetime,
        loaded_at: datetime,
    ) -> None:
        self.con, self.path, self.spec, self.fmt = con, path, spec, fmt
        self.default_snapshot_at, self.loaded_at = default_snapshot_at, loaded_at
        self.file = str(path)

    def run(self, result: FileResult, content_hash: str) -> None:
        source = self._read()
        self._check_columns(source)
        load_seq = self.con.execute("select nextval('load_seq_counter')").fetchone()[0]
        columns = self._columns(source, load_seq)
        self._stage(source, columns)
        if self.spec.versions is not None:
            self._mark_duplicate_keys()
        rejected = self._write_rejects(source, load_seq)
        if self.spec.versions is None:
            loaded = self._append_activities(load_seq)
            snapshot_at = None
        else:
            snapshot_times = self._snapshot_times(_SNAPSHOT_COLUMN in source.columns)
            for snapshot_at in snapshot_times:
                _fold_snapshot(self.con, self.spec, snapshot_at, load_seq, self.file)
            loaded = source.rows - rejected
            snapshot_at = snapshot_times[-1] if snapshot_times else None
        result.rows_total, result.rows_loaded, result.rows_rejected = source.rows, loaded, rejected
        result.rows_duplicate = source.rows - loaded - rejected
        result.snapshot_at = snapshot_at
        self.con.execute(
            "insert into ingested_files (load_seq, content_hash, file, kind, format, snapshot_at,"
            " rows_total, rows_loaded, rows_duplicate, rows_rejected, loaded_at)"
            " values ($load_seq, $hash, $file, $kind, $format, $snapshot_at,"
            " $total, $loaded, $duplicate, $rejected, $loaded_at)",
            {
                "load_seq": load_seq,
                "hash": content_hash,
                "file": self.file,
                "kind": self.spec.name,
                "format": self.fmt,
                "snapshot_at": snapshot_at,
                "total": result.rows_total,
                "loaded": result.rows_loaded,
                "duplicate": result.rows_duplicate,
                "rejected": result.rows_rejected,
                "loaded_at": self.loaded_at,
            },
        )

    def cleanup(self) -> None:
        for table in (_RAW_LINES, _LINES, _JSON_SOURCE, _STAGE, _SNAP, _CURRENT, _CHANGED, _MERGED):
            self.con.execute(f"drop table if exists temp.{table}")
        self.con.unregister(_CSV_VIEW)

    # -- 1. read --------------------------------------------------------------------------

    def _read(self) -> _Source:
        reader = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl}[self.fmt]
        return reader(self.con, self.path)

    # -- 2. check -------------------------------------------------------------------------

    def _check_columns(self, source: _Source) -> None:
        for name in self.spec.required:
            if name not in source.columns:
                raise _FileRejected(f"missing required column {name!r}")
        if not self.spec.custom_fields:
            return
        builtins = {name.lower(): name for name, _ in self.spec.columns}
        for name in source.columns:
            if name.lower() in _RESERVED:
                raise _FileRejected(f"column {name!r} is reserved (it would clash with history)")
            if name.lower() in builtins and name != builtins[name.lower()]:
                raise _FileRejected(
                    f"column {name!r} differs only in case from the built-in column "
                    f"{builtins[name.lower()]!r}"
                )

    # -- 3. type --------------------------------------------------------------------------

    def _columns(self, source: _Source, load_seq: int) -> list[_Column]:
        """The columns to stage: built-ins, custom fields, and the snapshot time."""

        def column(name: str, kind: str, source_name: str | None = None) -> _Column:
            source_name = name if source_name is None else source_name
            present = source_name in source.columns
            return _Column(
                name=name,
                source=source_name if present else None,
                source_type=source.columns.get(source_name, "VARCHAR"),
                type=kind,
            )

        columns = [column(name, kind) for name, kind in self.spec.columns]
        if self.spec.custom_fields:
            builtins = {name for name, _ in self.spec.columns}
            custom = [
                name for name in source.columns if name not in builtins and name != _SNAPSHOT_COLUMN
            ]
            for name, stored_name, kind in self._custom_field_types(source, custom, load_seq):
                columns.append(column(stored_name, kind, source_name=name))
        if self.spec.versions is not None:
            columns.append(column("__snapshot_at", "timestamp", source_name=_SNAPSHOT_COLUMN))
        return columns

    def _custom_field_types(
        self, source: _Source, names: list[str], load_seq: int
    ) -> list[tuple[str, str, str]]:
        """(file column, warehouse column, type) of each custom field, recording new ones."""
        if not names:
            return []
        table = self.spec.versions
        recorded = {
            name.lower(): (name, kind)
            for name, kind in self.con.execute(
                "select name, type from custom_fields where kind = $kind",
                {"kind": self.spec.name},
            ).fetchall()
        }
        file_types = _file_custom_types(self.con, source, names)
        typed = []
        for name in names:
            file_type = file_types[name]
            if name.lower() in recorded:
                stored_name, stored_type = recorded[name.lower()]
                if file_type is not None and file_type != stored_type:
                    if stored_type != "text":
                        _convert_field_to_text(self.con, self.spec, stored_name, stored_type)
                        stored_type = "text"
                    elif _field_is_empty(self.con, self.spec, stored_name):
                        # Recorded as text only for want of values: the first values type it.
                        _retype_empty_field(self.con, self.spec, stored_name, file_type)
                        stored_type = file_type
                typed.append((name, stored_name, stored_type))
                continue
            # A column without any value yet is recorded as text until values say otherwise.
            kind = file_type or "text"
            self.con.execute(f"alter table {table} add column {_q(name)} {_CUSTOM_SQL_TYPES[kind]}")
            self.con.execute(
                "insert into custom_fields (kind, name, type, first_seen_load_seq)"
                " values ($kind, $name, $type, $load_seq)",
                {"kind": self.spec.name, "name": name, "type": kind, "load_seq": load_seq},
            )
            typed.append((name, name, kind))
        return typed

    # -- 4. stage -------------------------------------------------------------------------

    def _stage(self, source: _Source, columns: list[_Column]) -> None:
        """Every row: __row_number, __reason (null when it loads) and the typed columns."""
        required = list(self.spec.required)
        if any(c.name == "__snapshot_at" and c.source is not None for c in columns):
            # A snapshot_at column, when the file has one, must hold a time on every row.
            required.append("__snapshot_at")
        first, second, checks, values = ["r.__row_number"], ["__row_number"], [], []
        if source.is_object is not None:
            first.append(f"r.{source.is_object} as __is_object")
            checks.append(f"when not __is_object then {_lit('bad_json: line')}")
        for index, col in enumerate(columns):
            read, native = _first_expression(col)
            first.append(f"{read} as __s{index}")
            second.append(f"__s{index} is not null as __p{index}")
            second.append(f"{_value_expression(col, f'__s{index}', native)} as __v{index}")
            values.append(f"__v{index} as {_q(col.name)}")
        shown = {c.name: (c.source or c.name) for c in columns}
        for name in required:
            index = next(i for i, c in enumerate(columns) if c.name == name)
            checks.append(f"when not __p{index} then {_lit('missing_required: ' + shown[name])}")
        for index, col in enumerate(columns):
            if col.type in _REASON_CODES and col.source is not None:
                reason = f"{_REASON_CODES[col.type]}: {shown[col.name]}"
                checks.append(f"when __p{index} and __v{index} is null then {_lit(reason)}")
        if source.is_object is not None:
            second.append("__is_object")
        reason = f"case {' '.join(checks)} end" if checks else "cast(null as varchar)"
        params = dict(source.params)
        snapshot = next((c for c in columns if c.name == "__snapshot_at"), None)
        if snapshot is not None and snapshot.source is None:
            values[-1] = "cast($default_snapshot_at as timestamp) as __snapshot_at"
            params["default_snapshot_at"] = self.default_snapshot_at
        sql = (
            f"create or replace temp table {_STAGE} as "
            f"select __row_number, {reason} as __reason, {', '.join(values)} "
            f"from (select {', '.join(second)} "
            f"from (select {', '.join(first)} from {source.relation} r))"
        )
        try:
            self.con.execute(sql, params)
        except (duckdb.IOException, duckdb.InvalidInputException) as error:
            if self.fmt != "parquet":
                raise
            # Parquet is only fully decoded here: a damaged file is found now.
            raise _FileRejected(f"cannot read as Parquet: {_first_line(error)}") from error

    def _mark_duplicate_keys(self) -> None:
        """Reject later rows of a key within a snapshot, and rows of keys a snapshot has."""
        keys = [_q(key) for key in self.spec.keys]
        detail = f"{_lit('duplicate_key: ')} || concat_ws('/', {', '.join(keys)})"
        self.con.execute(
            f"update {_STAGE} set __reason = {detail} where __row_number in ("
            f"select __row_number from {_STAGE} where __reason is null "
            f"qualify row_number() over (partition by __snapshot_at, {', '.join(keys)} "
            "order by __row_number) > 1)"
        )
        # A file joining a snapshot already loaded (same kind and snapshot_at): the keys that
        # snapshot has win, the first loaded (SPEC: first by file name, then row number).
        joins_existing = self.con.execute(
            f"select count(*) from (select distinct __snapshot_at from {_STAGE}) s "
            "semi join snapshot_files f on f.snapshot_at = s.__snapshot_at and f.kind = $kind",
            {"kind": self.spec.name},
        ).fetchone()[0]
        if not joins_existing:
            return
        on_keys = " and ".join(f"v.{key} = {_STAGE}.{key}" for key in keys)
        stage_keys = ", ".join(f"{_STAGE}.{key}" for key in keys)
        self.con.execute(
            f"update {_STAGE} set __reason = {_lit('duplicate_key: ')} || "
            f"concat_ws('/', {stage_keys}) "
            f"from {self.spec.versions} v "
            f"where {_STAGE}.__reason is null and {on_keys} "
            f"and v.valid_from <= {_STAGE}.__snapshot_at "
            f"and (v.valid_to is null or v.valid_to > {_STAGE}.__snapshot_at) "
            f"and {_STAGE}.__snapshot_at in "
            "(select snapshot_at from snapshot_files where kind = $kind)",
            {"kind": self.spec.name},
        )

    # -- 5. write -------------------------------------------------------------------------

    def _write_rejects(self, source: _Source, load_seq: int) -> int:
        count = self.con.execute(
            f"select count(*) from {_STAGE} where __reason is not null"
        ).fetchone()[0]
        if count:
            self.con.execute(
                "insert into rejected_rows (file, row_number, kind, reason, raw, load_seq,"
                " rejected_at) "
                f"select $file, s.__row_number, $kind, s.__reason, {source.raw}, $load_seq,"
                " $rejected_at "
                f"from {_STAGE} s join {source.relation} r on r.__row_number = s.__row_number "
                "where s.__reason is not null",
                {
                    **source.params,
                    "file": self.file,
                    "kind": self.spec.name,
                    "load_seq": load_seq,
                    "rejected_at": self.loaded_at,
                },
            )
        return count

    def _append_activities(self, load_seq: int) -> int:
        """Insert the events not seen before; return how many."""
        # First row of each event_id in the file, then an anti-join against what is loaded:
        # `activities` has no index on purpose (it grows to 100M rows).
        return self.con.execute(
            "insert into activities (event_id, contact_id, activity_type, occurred_at,"
            ' properties, load_seq, file, "row_number") '
            "select s.event_id, s.contact_id, s.activity_type, s.occurred_at, s.properties,"
            " $load_seq, $file, s.__row_number "
            f"from (select * from {_STAGE} where __reason is null "
            "qualify row_number() over (partition by event_id order by __row_number) = 1) s "
            "anti join activities a on a.event_id = s.event_id",
            {"load_seq": load_seq, "file": self.file},
        ).fetchone()[0]

    def _snapshot_times(self, has_snapshot_column: bool) -> list[datetime]:
        """The snapshots this file contributes to, oldest first.

        A file without a `snapshot_at` column states one snapshot, even without rows (then:
        nothing of its kind exists). A file with the column states the times its rows give;
        with no row giving one it states none: an empty part of a snapshot split over
        several files must not become an empty snapshot at load time, deleting everything.
        """
        if not has_snapshot_column:
            return [self.default_snapshot_at]
        return [
            at
            for (at,) in self.con.execute(
                f"select distinct __snapshot_at from {_STAGE} "
                "where __snapshot_at is not null order by 1"
            ).fetchall()
        ]


# --- snapshots as changes --------------------------------------------------------------------


def _fold_snapshot(
    con: duckdb.DuckDBPyConnection, spec: _Kind, at: datetime, load_seq: int, file: str
) -> None:
    """Fold the staged rows of the snapshot at `at` into the kind's versions table.

    S = `at`, N = the next snapshot of the kind after S (if any). When S is new, the staged
    rows are the whole snapshot; when S already exists, its existing rows stay and the staged
    rows only add keys (keys it has were rejected as duplicates). Only the keys K whose row at
    S differs from the state as of S are touched: the version covering S is cut at S (and,
    if it reached past N, continues from N, since the state at N is N's snapshot); S's row is
    inserted for [S, N), merged with the version starting at N when equal. A version starting
    exactly at S never needs replacing: rows S already has are kept, not changed.
    """
    table = spec.versions
    keys = [_q(key) for key in spec.keys]
    key_list = ", ".join(keys)
    on = " and ".join(f"n.{key} = c.{key}" for key in keys)
    is_new = not con.execute(
        "select count(*) from snapshot_files where kind = $kind and snapshot_at = $s",
        {"kind": spec.name, "s": at},
    ).fetchone()[0]
    next_at = con.execute(
        "select min(snapshot_at) from snapshot_files where kind = $kind and snapshot_at > $s",
        {"kind": spec.name, "s": at},
    ).fetchone()[0]
    columns = table_columns(con, table)
    attributes = [
        (name, kind.endswith("[]"))
        for name, kind in columns.items()
        if name not in spec.keys and name not in ("valid_from", "valid_to", "row_hash")
    ]
    staged = table_columns(con, _STAGE)
    kept = [name for name in columns if name in staged]
    present = [(name, is_list) for name, is_list in attributes if name in staged]
    rows = con.execute(
        f"create or replace temp table {_SNAP} as "
        f"select {', '.join(_q(name) for name in kept)}, {_row_hash_sql(present)} as row_hash "
        f"from {_STAGE} where __reason is null and __snapshot_at = $s",
        {"s": at},
    ).fetchone()[0]
    con.execute(
        "insert into snapshot_files (kind, snapshot_at, load_seq, file, rows_loaded)"
        " values ($kind, $s, $load_seq, $file, $rows)",
        {"kind": spec.name, "s": at, "load_seq": load_seq, "file": file, "rows": rows},
    )
    covers_s = "v.valid_from <= $s and (v.valid_to is null or v.valid_to > $s)"
    con.execute(
        f"create or replace temp table {_CURRENT} as "
        f"select {key_list}, row_hash from {table} v where {covers_s}",
        {"s": at},
    )
    # K: keys new at S or with another row at S; and, when S is a new snapshot, keys it lacks
    # (deleted from S on).
    con.execute(
        f"create or replace temp table {_CHANGED} as "
        f"select {', '.join(f'coalesce(n.{key}, c.{key}) as {key}' for key in keys)} "
        f"from {_SNAP} n full join {_CURRENT} c on {on} "
        f"where c.{keys[0]} is null or (n.{keys[0]} is null and $is_new) "
        "or n.row_hash <> c.row_hash",
        {"is_new": is_new},
    )
    changed = f"semi join {_CHANGED} c on {' and '.join(f'v.{key} = c.{key}' for key in keys)}"
    if next_at is not None:
        # The version covering S that reaches past N: its values hold again from N.
        con.execute(
            f"insert into {table} by name "
            f"select v.* exclude (valid_from), $n as valid_from from {table} v {changed} "
            "where v.valid_from <= $s and (v.valid_to is null or v.valid_to > $n)",
            {"s": at, "n": next_at},
        )
    on_table = " and ".join(f"{table}.{key} = c.{key}" for key in keys)
    con.execute(
        f"update {table} set valid_to = $s from {_CHANGED} c where {on_table} "
        f"and {table}.valid_from < $s "
        f"and ({table}.valid_to is null or {table}.valid_to > $s)",
        {"s": at},
    )
    new_rows = f"{_SNAP} v {changed}"
    if next_at is None:
        con.execute(
            f"insert into {table} by name select v.*, $s as valid_from from {new_rows}",
            {"s": at},
        )
    else:
        # S's row equal to the version starting at N: that version starts at S instead.
        con.execute(
            f"update {table} set valid_from = $s "
            f"from (select v.* from {new_rows}) n "
            f"where {' and '.join(f'{table}.{key} = n.{key}' for key in keys)} "
            f"and {table}.valid_from = $n and {table}.row_hash = n.row_hash",
            {"s": at, "n": next_at},
        )
        con.execute(
            f"insert into {table} by name "
            f"select v.*, $s as valid_from, $n as valid_to from {new_rows} "
            f"anti join (select {key_list} from {table} where valid_from = $s) m "
            f"on {' and '.join(f'v.{key} = m.{key}' for key in keys)}",
            {"s": at, "n": next_at},
        )
    if not is_new:
        _merge_at(con, spec, at)


def _merge_at(con: duckdb.DuckDBPyConnection, spec: _Kind, at: datetime) -> None:
    """Join a changed key's version ending at S to an equal one starting at S.

    Only a file joining an existing snapshot does this: a key that snapshot lacked (so its
    version ended at S) comes back at S with the same row.
    """
    table = spec.versions
    keys = [_q(key) for key in spec.keys]
    merged = con.execute(
        f"create or replace temp table {_MERGED} as "
        f"select {', '.join(f'b.{key}' for key in keys)}, b.valid_to "
        f"from {table} a join {table} b on {' and '.join(f'a.{key} = b.{key}' for key in keys)} "
        f"semi join {_CHANGED} c on {' and '.join(f'b.{key} = c.{key}' for key in keys)} "
        "where a.valid_to = $s and b.valid_from = $s and a.row_hash = b.row_hash",
        {"s": at},
    ).fetchone()[0]
    if not merged:
        return
    on = " and ".join(f"{table}.{key} = m.{key}" for key in keys)
    con.execute(
        f"update {table} set valid_to = m.valid_to from {_MERGED} m "
        f"where {on} and {table}.valid_to = $s",
        {"s": at},
    )
    con.execute(
        f"delete from {table} using {_MERGED} m where {on} and {table}.valid_from = $s", {"s": at}
    )


def _row_hash_sql(attributes: list[tuple[str, bool]]) -> str:
    """md5 over the non-null attribute values, each tagged with its column name.

    Null values are left out, so adding a custom column (null in every existing version)
    keeps the hashes of the existing versions valid.
    """
    parts = [
        f"{_lit(name)} || chr(30) || "
        + (f"cast(to_json({_q(name)}) as varchar)" if is_list else f"cast({_q(name)} as varchar)")
        for name, is_list in sorted(attributes)
    ]
    return f"md5(concat_ws(chr(31), ''{''.join(', ' + part for part in parts)}))"


def _field_is_empty(con: duckdb.DuckDBPyConnection, spec: _Kind, name: str) -> bool:
    """Whether no version has a value in the custom field (one column scan)."""
    query = f"select count({_q(name)}) from {spec.versions}"
    return con.execute(query).fetchone()[0] == 0


def _retype_empty_field(
    con: duckdb.DuckDBPyConnection, spec: _Kind, name: str, new_type: str
) -> None:
    """Give a custom field without any value yet its first type (hashes omit nulls)."""
    con.execute(
        f"alter table {spec.versions} alter column {_q(name)} "
        f"set data type {_CUSTOM_SQL_TYPES[new_type]}"
    )
    con.execute(
        "update custom_fields set type = $type where kind = $kind and name = $name",
        {"type": new_type, "kind": spec.name, "name": name},
    )


def _convert_field_to_text(
    con: duckdb.DuckDBPyConnection, spec: _Kind, name: str, old_type: str
) -> None:
    """Make a custom field text after a type conflict: the column, its record, the hashes."""
    column = _q(name)
    rendered = _number_text(column) if old_type == "number" else f"cast({column} as varchar)"
    con.execute(
        f"alter table {spec.versions} alter column {column} set data type varchar using {rendered}"
    )
    con.execute(
        "update custom_fields set type = 'text' where kind = $kind and name = $name",
        {"kind": spec.name, "name": name},
    )
    if old_type == "number":
        # 5.0 became '5': the hashes were over '5.0', so recompute them (a rare event).
        columns = table_columns(con, spec.versions)
        attributes = [
            (other, kind.endswith("[]"))
            for other, kind in columns.items()
            if other not in spec.keys and other not in ("valid_from", "valid_to", "row_hash")
        ]
        con.execute(f"update {spec.versions} set row_hash = {_row_hash_sql(attributes)}")


# --- readers ---------------------------------------------------------------------------------


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """CSV with a header row, comma-delimited, every column as text (Arrow keeps row order)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise _FileRejected(f"cannot read as CSV: {error}") from error
    names = [name.strip() for name in header]
    _check_names(names)
    table = pa.table({"__row_number": pa.array([], pa.int64())})
    if names:
        if _strict_csv_rows(con, path, len(names)) == 0:
            # Arrow cannot skip a header that does not end with a newline: no rows to read.
            table = pa.table({name: pa.array([], pa.string()) for name in names})
        else:
            table = _arrow_csv(path, names)
        table = table.append_column(
            "__row_number", pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
        )
    con.register(_CSV_VIEW, table)
    return _Source(
        relation=_CSV_VIEW,
        params={},
        columns=dict.fromkeys(names, "VARCHAR"),
        rows=table.num_rows,
        raw=_struct_json(names),
    )


def _strict_csv_rows(con: duckdb.DuckDBPyConnection, path: Path, width: int) -> int:
    """Check the file with DuckDB's strict CSV parser; return its data row count.

    Arrow reads leniently: an unterminated quote swallows the rows after it into one value
    (`o1,"Acme` then `o2,Beta` becomes one row) and text after a closing quote is glued on.
    Those rows would be lost without a trace, so such a file is rejected whole instead.
    DuckDB's parser runs in parallel; its row count is only trusted to tell "no rows".
    """
    columns = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(width))
    try:
        return con.execute(
            "select count(*) from read_csv($path, header = true, auto_detect = false,"
            f" columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"',"
            " strict_mode = true, max_line_size = 67108864)",
            {"path": str(path)},
        ).fetchall()[0][0]
    except duckdb.Error as error:
        raise _FileRejected(f"cannot read as CSV: {_csv_error(error)}") from error


_ARROW_MAX_BLOCK = 2**31 - 1  # Arrow's CSV block size is an int32


def _arrow_csv(path: Path, names: list[str]) -> pa.Table:
    """Read the checked file with Arrow, every column as text.

    Arrow parses in blocks (1 MiB by default) and fails on a record longer than a block
    ("straddling object straddles two block boundaries"). On that error only, the read is
    retried with a 16 times bigger block, up to one block for the whole file: normal files
    keep the small parallel blocks, a file with a huge field still loads.
    """
    block_size = pa_csv.ReadOptions().block_size
    whole_file = min(path.stat().st_size + 1, _ARROW_MAX_BLOCK)
    while True:
        try:
            return pa_csv.read_csv(
                path,
                read_options=pa_csv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=block_size
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=",", quote_char='"', double_quote=True, newlines_in_values=True
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error) or block_size >= whole_file:
                raise _FileRejected(f"cannot read as CSV: {_first_line(error)}") from error
            block_size = min(block_size * 16, whole_file)
        except (pa.ArrowException, UnicodeDecodeError) as error:
            raise _FileRejected(f"cannot read as CSV: {_first_line(error)}") from error


def _csv_error(error: duckdb.Error) -> str:
    """DuckDB's CSV error in one line: where, and what (without the offending line's text)."""
    text = str(error).split("Possible fixes:")[0].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    where = lines[0].removeprefix("Invalid Input Error: ") if lines else type(error).__name__
    what = lines[-1] if len(lines) > 1 and not lines[-1].startswith("Original Line") else ""
    return f"{where}: {what}" if what else where


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    params = {"path": str(path)}
    try:
        described = con.execute("describe select * from read_parquet($path)", params).fetchall()
        rows = con.execute("select count(*) from read_parquet($path)", params).fetchone()[0]
    except duckdb.Error as error:
        raise _FileRejected(f"cannot read as Parquet: {_first_line(error)}") from error
    names = [row[0] for row in described]
    _check_names(names)
    return _Source(
        relation="(select *, file_row_number + 1 as __row_number "
        "from read_parquet($path, file_row_number = true))",
        params=params,
        columns={row[0]: row[1] for row in described},
        rows=rows,
        raw=_struct_json(names),
        typed=True,
    )


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    """JSON Lines: one JSON object a line; blank lines are skipped but keep their number."""
    try:
        # Two statements: splitting the text is one thread's work, while the JSON parsing
        # that follows runs in parallel over the materialized lines.
        con.execute(
            f"create or replace temp table {_RAW_LINES} as "
            "select generate_subscripts(lines, 1) as __row_number, "
            "rtrim(unnest(lines), chr(13)) as __line "
            "from (select string_split(content, chr(10)) as lines from read_text($path))",
            {"path": str(path)},
        )
        con.execute(
            f"create or replace temp table {_LINES} as "
            "select __row_number, __line, "
            "coalesce(json_type(try_cast(__line as json)) = 'OBJECT', false) as __is_object "
            f"from {_RAW_LINES} where trim(__line) <> ''"
        )
        con.execute(f"drop table {_RAW_LINES}")
    except duckdb.Error as error:
        raise _FileRejected(f"cannot read as JSON Lines: {_first_line(error)}") from error
    names = [
        key
        for (key,) in con.execute(
            "select key from (select __row_number, unnest(json_keys(__line)) as key "
            f"from {_LINES} where __is_object) group by key order by min(__row_number), key"
        ).fetchall()
    ]
    _check_names(names)
    values = ", ".join(f"__values[{i + 1}] as {_q(name)}" for i, name in enumerate(names))
    params = {"paths": [_json_path(name) for name in names]} if names else {}
    extract = "json_extract(__line, $paths)" if names else "null"
    con.execute(
        f"create or replace temp table {_JSON_SOURCE} as "
        f"select __row_number, __line, __is_object{', ' + values if values else ''} "
        f"from (select *, case when __is_object then {extract} end as __values from {_LINES})",
        params,
    )
    rows = con.execute(f"select count(*) from {_JSON_SOURCE}").fetchone()[0]
    return _Source(
        relation=_JSON_SOURCE,
        params={},
        columns=dict.fromkeys(names, "JSON"),
        rows=rows,
        raw="r.__line",
        is_object="__is_object",
    )


def _check_names(names: list[str]) -> None:
    """Column names the staging can address: non-empty, distinct ignoring case, not internal."""
    seen: dict[str, str] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            raise _FileRejected(f"column {position} has no name")
        if name.startswith("__"):
            raise _FileRejected(f"column {name!r}: names starting with '__' are reserved")
        if name.lower() in seen:
            raise _FileRejected(f"duplicate column {name!r} (also {seen[name.lower()]!r})")
        seen[name.lower()] = name


# --- typing values ---------------------------------------------------------------------------


def _file_custom_types(
    con: duckdb.DuckDBPyConnection, source: _Source, names: list[str]
) -> dict[str, str | None]:
    """Each custom column's type in this file (None: no value to tell)."""
    if source.typed:
        return {name: _declared_type(source.columns[name]) for name in names}
    selects = []
    for index, name in enumerate(names):
        text = _text_expression(f"r.{_q(name)}", source.columns[name])
        selects.append(
            f"count({text}) as n{index}, "
            f"count_if(regexp_full_match({text}, {_lit(_NUMBER_RE)})) as number{index}, "
            f"count_if(regexp_full_match({text}, {_lit(_DATE_RE)})) as date{index}, "
            f"count_if(regexp_full_match({text}, {_lit(_DATETIME_RE)})) as datetime{index}, "
            f"count_if(lower({text}) in ('true', 'false')) as bool{index}"
        )
    counts = con.execute(
        f"select {', '.join(selects)} from {source.relation} r", source.params
    ).fetchone()
    types: dict[str, str | None] = {}
    for index, name in enumerate(names):
        values, number, date, date_time, boolean = counts[index * 5 : index * 5 + 5]
        if values == 0:
            types[name] = None
        elif number == values:
            types[name] = "number"
        elif date == values:
            types[name] = "date"
        elif date + date_time == values:
            # Dates mixed with date-times: a bare date is midnight UTC, so a timestamp.
            types[name] = "timestamp"
        elif boolean == values:
            types[name] = "bool"
        else:
            types[name] = "text"
    return types


def _declared_type(duckdb_type: str) -> str | None:
    """The custom field type a Parquet column's type declares."""
    upper = duckdb_type.upper()
    if upper == '"NULL"':
        return None
    if upper in _NUMERIC_TYPES or upper.startswith("DECIMAL"):
        return "number"
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    if upper == "BOOLEAN":
        return "bool"
    return "text"


def _first_expression(col: _Column) -> tuple[str, bool]:
    """The column read from the file: (SQL, whether it already has its final type).

    Text goes on as text, null when blank (an empty string counts as missing). Typed Parquet
    columns of the right type go on as they are; tags become a list.
    """
    if col.source is None:
        return ("cast(null as varchar[])" if col.type == "tags" else "null"), False
    ref, source_type = f"r.{_q(col.source)}", col.source_type.upper()
    if col.type == "tags":
        if source_type == "JSON":
            return (
                f"case json_type({ref}) when 'ARRAY' then from_json({ref}, '[\"VARCHAR\"]') "
                f"when 'NULL' then null else string_split({ref} ->> '$', ';') end"
            ), False
        if source_type.endswith("[]"):
            return f"cast({ref} as varchar[])", False
        return f"string_split({_text_expression(ref, source_type)}, ';')", False
    if col.type == "json" and source_type == "JSON":
        # properties may be an object or a string holding one.
        text = (
            f"(case json_type({ref}) when 'VARCHAR' then {ref} ->> '$' "
            f"when 'NULL' then null else cast({ref} as varchar) end)"
        )
        return f"case when trim({text}) <> '' then {text} end", False
    if col.type == "timestamp":
        if source_type.startswith("TIMESTAMPTZ") or source_type == "TIMESTAMP WITH TIME ZONE":
            return f"cast({ref} as timestamptz) at time zone 'UTC'", True
        if source_type.startswith("TIMESTAMP") or source_type == "DATE":
            return f"cast({ref} as timestamp)", True
    if col.type == "date" and source_type == "DATE":
        return ref, True
    if col.type == "number" and _declared_type(source_type) == "number":
        return f"cast({ref} as double)", True
    if col.type == "bool" and source_type == "BOOLEAN":
        return ref, True
    return _text_expression(ref, source_type), False


def _value_expression(col: _Column, read: str, native: bool) -> str:
    """The typed value from the column as read; null when blank or unparseable."""
    if native or col.type == "text":
        return read
    value = f"trim({read})"
    if col.type == "tags":
        return (
            f"coalesce(list_filter(list_transform({read}, lambda tag: trim(tag)), "
            "lambda tag: tag <> ''), cast([] as varchar[]))"
        )
    if col.type == "status":
        return f"case when lower({value}) in ('subscribed', 'unsubscribed') then lower({value}) end"
    if col.type == "bool":
        return (
            f"case when lower({value}) in ('true', '1', 'yes') then true "
            f"when lower({value}) in ('false', '0', 'no') then false end"
        )
    if col.type == "timestamp":
        # Without an offset a time is UTC: the connection's TimeZone is UTC (warehouse.connect).
        return (
            f"case when regexp_full_match({value}, {_lit(_TIMESTAMP_RE)}) "
            f"then try_cast({value} as timestamptz) at time zone 'UTC' end"
        )
    if col.type == "date":
        return (
            f"case when regexp_full_match({value}, {_lit(_DATE_RE)}) "
            f"then try_cast({value} as date) end"
        )
    if col.type == "number":
        return (
            f"case when regexp_full_match({value}, {_lit(_NUMBER_RE)}) "
            f"and isfinite(try_cast({value} as double)) then try_cast({value} as double) end"
        )
    if col.type == "json":
        return (
            f"case when json_type(try_cast({read} as json)) = 'OBJECT' "
            f"then try_cast({read} as json) end"
        )
    raise ValueError(f"unknown field type {col.type!r}")


def _text_expression(ref: str, source_type: str) -> str:
    """A file value as text, null when blank."""
    upper = source_type.upper()
    if upper == "VARCHAR":
        text = ref
    elif upper == "JSON":
        text = f"({ref} ->> '$')"
    elif _declared_type(upper) == "number":
        text = _number_text(ref)
    elif upper.endswith("]") or upper.startswith(("STRUCT", "MAP")):
        text = f"cast(to_json({ref}) as varchar)"
    else:
        text = f"cast({ref} as varchar)"
    return f"(case when trim({text}) <> '' then {text} end)"


def _number_text(ref: str) -> str:
    """A number as text the way people write it: 5 rather than 5.0."""
    return (
        f"(case when {ref} = trunc({ref}) and abs({ref}) < 1e15 "
        f"then cast(cast({ref} as bigint) as varchar) else cast({ref} as varchar) end)"
    )


# --- small helpers ---------------------------------------------------------------------------


def _ordered_files(paths: Sequence[str | Path]) -> list[Path]:
    """The files to load: folders expanded (hidden files skipped), in processing order."""
    files: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        for found in _expand(path):
            resolved = found.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(found)

    def order(path: Path) -> tuple[int, str, str]:
        kind = file_kind(path)
        return (KINDS.index(kind) if kind else len(KINDS), path.name, str(path))

    return sorted(files, key=order)


def _expand(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path  # a missing file is reported as unreadable by _ingest_file
        return
    for found in sorted(path.rglob("*")):
        hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
        if found.is_file() and not hidden:
            yield found


def _content_hash(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _struct_json(names: list[str]) -> str:
    if not names:
        return "'{}'"
    fields = ", ".join(f"{_q(name)} := r.{_q(name)}" for name in names)
    return f"cast(to_json(struct_pack({fields})) as varchar)"


def _json_path(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'$."{escaped}"'


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _q(name: str) -> str:
    """A quoted identifier."""
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def _lit(text: str) -> str:
    """A string literal, rendered by sqlglot."""
    return exp.Literal.string(text).sql(dialect="duckdb")
