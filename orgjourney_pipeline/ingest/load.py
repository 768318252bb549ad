"""Loading: each file whole or not at all, with its row in the ledger `ingested_files`.

A snapshot file loads in its own transaction. Consecutive activity files load together, one
transaction per group of about `GROUP_ROWS` rows: a transaction's fixed cost (DuckDB writes a
small append to its log at commit and folds it into the table at the next checkpoint, where
a million rows go straight to the table) was most of the cost of an hour's or a day's file.
Should any file of a group be rejected whole or unreadable, the group's transaction is rolled
back and its files load one by one, so a bad file still costs only itself.

Loading a file:

1. read   the file as a relation with numbered rows (`readers`);
2. check  the columns: a file that cannot be read or lacks a required column is rejected
          whole, and nothing of it is written;
3. type   the custom fields of organizations and contacts (`fields`);
4. stage  every row into a temp table with its typed values and, if it is rejected, why;
5. write  the rejected rows, then append the new activities (deduplicated on event_id) or
          fold each snapshot into its `*_versions` table as changes (`history`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.faults import maybe_fault
from orgjourney_pipeline.ingest import fields, history, readers, sql
from orgjourney_pipeline.ingest.fields import Column
from orgjourney_pipeline.ingest.inbox import content_hash, ordered_files
from orgjourney_pipeline.ingest.kinds import (
    KINDS,
    REASON_CODES,
    RESERVED,
    SNAPSHOT_COLUMN,
    SPECS,
    FileRejected,
    FileResult,
    IngestReport,
    Kind,
    file_format,
    file_kind,
)
from orgjourney_pipeline.ingest.readers import Source, first_line
from orgjourney_pipeline.sqlfiles import literal
from orgjourney_pipeline.warehouse import create_organizations_view, transaction, utc_now


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path] | str | Path,
    *,
    as_of: datetime | None = None,
    progress: Callable[[FileResult], None] | None = None,
    follow_links: bool = False,
) -> IngestReport:
    """Load files or folders (folders: every file inside, recursively, sorted).

    Files go in kind order (organizations, contacts, memberships, subscriptions, activities),
    then by file name, each whole or not at all (see the module docstring). `as_of` (naive
    UTC) is the snapshot time of snapshot files without a `snapshot_at` column; without it
    they take the load time.
    The entries of a folder not loaded come first in the report, each with why (`inbox`);
    links out of a folder are read only with `follow_links`.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    # One load time for the whole call, so the files of a kind loaded together without a
    # snapshot time form one snapshot instead of each replacing the one before.
    loaded_at = utc_now()
    stated_at = history.naive_utc(as_of) if as_of is not None else None
    inbox = ordered_files(paths, follow_links=follow_links)
    report = IngestReport()
    for result in inbox.left:
        report.files.append(result)
        if progress is not None:
            progress(result)
    files = list(inbox.files)
    while files:
        group = list(itertools.takewhile(_is_activity_file, files))
        if group:
            loaded = _ingest_activities(con, group, loaded_at)
        else:
            loaded = [ingest_file(con, files[0], stated_at, loaded_at)]
        del files[: len(loaded)]
        for result in loaded:
            report.files.append(result)
            if progress is not None:
                progress(result)
    return report


GROUP_ROWS = 1_000_000  # activity rows a transaction commits (see the module docstring)


def _is_activity_file(path: Path) -> bool:
    return file_kind(path) == "activities" and file_format(path) is not None


def _ingest_activities(
    con: duckdb.DuckDBPyConnection, paths: list[Path], loaded_at: datetime
) -> list[FileResult]:
    """The first activity files of `paths` (in order) in one transaction, until it holds
    `GROUP_ROWS` rows; or, should one of them be rejected whole, each in its own."""
    results: list[FileResult] = []
    try:
        with transaction(con):
            for path in paths:
                results.append(_load_in_group(con, path, loaded_at))
                if sum(result.rows_total for result in results) >= GROUP_ROWS:
                    break
    except _LoadApart:
        return [ingest_file(con, path, None, loaded_at) for path in paths[: len(results) + 1]]
    maybe_fault("ingest_file")
    return results


class _LoadApart(Exception):
    """A file of a group is rejected whole: the group loads one file a transaction."""


def _load_in_group(con: duckdb.DuckDBPyConnection, path: Path, loaded_at: datetime) -> FileResult:
    """Load one activity file inside the group's open transaction."""
    fmt = file_format(path)
    result = FileResult(file=str(path), kind="activities", format=fmt, status="rejected")
    try:
        file_hash = content_hash(path)
    except OSError as error:
        raise _LoadApart from error
    if sql.run(con, "loaded_file", hash=file_hash).fetchall():
        result.status = "already_loaded"
        return result
    load = FileLoad(con, path, SPECS["activities"], fmt, loaded_at, loaded_at)
    try:
        load.run(result, file_hash)
    except (FileRejected, *UNREADABLE) as error:
        # No cleanup here: a DuckDB error aborted the transaction, and its rollback drops
        # the load's temp tables (the file then loads alone, cleaned up as usual).
        raise _LoadApart from error
    load.cleanup()
    result.status = "loaded"
    return result


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, as_of: datetime | None, loaded_at: datetime
) -> FileResult:
    """Load one file in its own transaction (or say why not).

    A file's identity is its content, and for a snapshot file also its snapshot time: the
    same bytes loaded again are a no-op, unless they are a snapshot stated as of another
    time (`as_of`, for a file without a `snapshot_at` column), which is another snapshot.
    """
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
        file_hash = content_hash(path)
    except OSError as error:
        result.message = f"{path}: cannot read: {error.strerror or error}"
        return result
    seen = [at for at, _ in sql.run(con, "loaded_file", hash=file_hash).fetchall()]
    if seen and (as_of is None or as_of in seen or SPECS[kind].versions is None):
        result.status, result.snapshot_at = "already_loaded", seen[-1]
        return result
    load = FileLoad(con, path, SPECS[kind], fmt, as_of or loaded_at, loaded_at)
    load.seen_before = bool(seen)
    try:
        with transaction(con):
            load.run(result, file_hash)
            if kind == "organizations":  # its columns follow the snapshot's
                create_organizations_view(con)
    except _AlreadyLoaded:
        result.status, result.snapshot_at = "already_loaded", seen[-1]
        return result
    except FileRejected as rejection:
        return _rejected(path, kind, fmt, str(rejection))
    except UNREADABLE as error:
        # Any error reading this one file (a damaged Parquet page found only while decoding,
        # a file changed or removed while read, ...) rejects it whole; the others go on.
        return _rejected(
            path, kind, fmt, f"cannot read as {FORMAT_NAMES[fmt]}: {first_line(error)}"
        )
    finally:
        load.cleanup()
    maybe_fault("ingest_file")
    result.status = "loaded"
    return result


# What reading a file can raise: DuckDB's errors (its readers and casts), Arrow's, the
# file system's and text decoding. The tests' InjectedFault is none of them.
UNREADABLE = (duckdb.Error, pa.ArrowException, OSError, UnicodeError)
FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}


def _rejected(path: Path, kind: str, fmt: str, why: str) -> FileResult:
    return FileResult(
        file=str(path), kind=kind, format=fmt, status="rejected", message=f"{path}: {why}"
    )


class _AlreadyLoaded(Exception):
    """The file's content was loaded before and states its own snapshot times."""


class FileLoad:
    """Loading one file inside its transaction (see the module docstring for the steps)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        spec: Kind,
        fmt: str,
        default_snapshot_at: datetime,
        loaded_at: datetime,
    ) -> None:
        self.con, self.path, self.spec, self.fmt = con, path, spec, fmt
        self.default_snapshot_at, self.loaded_at = default_snapshot_at, loaded_at
        self.file = str(path)
        self.seen_before = False  # the same bytes were loaded before, as of another time

    def run(self, result: FileResult, file_hash: str) -> None:
        """Read, check, type, stage and write the file; fill in `result`."""
        source = readers.read_file(self.con, self.path, self.fmt)
        if self.seen_before and SNAPSHOT_COLUMN in source.columns:
            raise _AlreadyLoaded  # its times are in its content: the same snapshots again
        self._check_columns(source)
        load_seq = sql.scalar(self.con, "next_load_seq")
        columns = self._columns(source, load_seq)
        self._stage(source, columns)
        if self.spec.versions is not None:
            self._mark_duplicate_keys()
        rejected = self._write_rejects(source, load_seq)
        if self.spec.versions is None:
            loaded = sql.scalar(self.con, "append_activities", load_seq=load_seq, file=self.file)
            snapshot_at = None
        else:
            snapshot_times = self._snapshot_times(SNAPSHOT_COLUMN in source.columns)
            for snapshot_at in snapshot_times:
                history.fold_snapshot(self.con, self.spec, snapshot_at, load_seq, self.file)
            loaded = source.rows - rejected
            snapshot_at = snapshot_times[-1] if snapshot_times else None
        result.rows_total, result.rows_loaded, result.rows_rejected = source.rows, loaded, rejected
        result.rows_duplicate = source.rows - loaded - rejected
        result.snapshot_at = snapshot_at
        maybe_fault("ingest_staged")
        sql.run(
            self.con,
            "record_file",
            load_seq=load_seq,
            hash=file_hash,
            file=self.file,
            kind=self.spec.name,
            format=self.fmt,
            snapshot_at=snapshot_at,
            total=result.rows_total,
            loaded=result.rows_loaded,
            duplicate=result.rows_duplicate,
            rejected=result.rows_rejected,
            loaded_at=self.loaded_at,
        )

    def cleanup(self) -> None:
        """Drop the load's temp objects."""
        for table in sql.TEMP_TABLES:
            sql.run(self.con, "drop_temp_table", table=exp.to_identifier(table))
        readers.close(self.con)

    # -- 2. check -------------------------------------------------------------------------

    def _check_columns(self, source: Source) -> None:
        """Required columns present; no column that is a built-in's name in another case."""
        builtins = {name.lower(): name for name, _ in self.spec.columns}
        if self.spec.versions is not None:
            builtins[SNAPSHOT_COLUMN] = SNAPSHOT_COLUMN
        for name in source.columns:
            # Field names ignore case: `Name` would be the built-in `name` and a custom field.
            if name.lower() in builtins and name != builtins[name.lower()]:
                raise FileRejected(
                    f"column {name!r} differs only in case from the built-in column "
                    f"{builtins[name.lower()]!r} (field names ignore case)"
                )
        for name in self.spec.required:
            if name not in source.columns:
                raise FileRejected(f"missing required column {name!r}")
        if not self.spec.custom_fields:
            return
        for name in source.columns:
            if name.lower() in RESERVED:
                raise FileRejected(f"column {name!r} is reserved (it would clash with history)")

    # -- 3. type --------------------------------------------------------------------------

    def _columns(self, source: Source, load_seq: int) -> list[Column]:
        """The columns to stage: built-ins, custom fields, and the snapshot time."""

        def column(name: str, kind: str, source_name: str | None = None) -> Column:
            source_name = name if source_name is None else source_name
            present = source_name in source.columns
            return Column(
                name=name,
                source=source_name if present else None,
                source_type=source.columns.get(source_name, "VARCHAR"),
                type=kind,
            )

        columns = [column(name, kind) for name, kind in self.spec.columns]
        if self.spec.custom_fields:
            builtins = {name for name, _ in self.spec.columns}
            custom = [
                name for name in source.columns if name not in builtins and name != SNAPSHOT_COLUMN
            ]
            typed = fields.custom_field_types(self.con, self.spec, source, custom, load_seq)
            for name, stored_name, kind in typed:
                columns.append(column(stored_name, kind, source_name=name))
        if self.spec.versions is not None:
            columns.append(column("__snapshot_at", "timestamp", source_name=SNAPSHOT_COLUMN))
        return columns

    # -- 4. stage -------------------------------------------------------------------------

    def _stage(self, source: Source, columns: list[Column]) -> None:
        """Every row: __row_number, __reason (null when it loads) and the typed columns."""
        required = list(self.spec.required)
        if any(c.name == "__snapshot_at" and c.source is not None for c in columns):
            # A snapshot_at column, when the file has one, must hold a time on every row.
            required.append("__snapshot_at")
        reads, parsed, checks, values = [], [], [], []
        if source.is_object is not None:
            reads.append(sql.alias(sql.column(source.is_object, "r"), "__is_object"))
            checks.append((exp.column("__is_object").not_(), "bad_json: line"))
        for index, col in enumerate(columns):
            read, native = fields.first_expression(col)
            reads.append(sql.alias(read, f"__s{index}"))
            present = exp.column(f"__s{index}").is_(exp.Null()).not_()
            parsed.append(sql.alias(present, f"__p{index}"))
            typed = fields.value_expression(col, exp.column(f"__s{index}"), native)
            parsed.append(sql.alias(typed, f"__v{index}"))
            values.append(sql.alias(exp.column(f"__v{index}"), col.name))
        shown = {c.name: (c.source or c.name) for c in columns}
        for name in required:
            index = next(i for i, c in enumerate(columns) if c.name == name)
            checks.append((exp.column(f"__p{index}").not_(), f"missing_required: {shown[name]}"))
        for index, col in enumerate(columns):
            if col.type in REASON_CODES and col.source is not None:
                bad = exp.and_(exp.column(f"__p{index}"), exp.column(f"__v{index}").is_(exp.Null()))
                checks.append((bad, f"{REASON_CODES[col.type]}: {shown[col.name]}"))
        if source.is_object is not None:
            parsed.append(exp.column("__is_object"))
        reason = exp.Case(ifs=[exp.If(this=when, true=sql.text(why)) for when, why in checks])
        if not checks:
            reason = exp.cast(exp.Null(), "varchar")
        if columns[-1].name == "__snapshot_at" and columns[-1].source is None:
            values[-1] = sql.alias(literal(self.default_snapshot_at), "__snapshot_at")
        sql.run(
            self.con,
            "stage_rows",
            reason=reason,
            values=values,
            parsed=parsed,
            reads=reads,
            relation=exp.to_identifier(source.relation),
        )

    def _mark_duplicate_keys(self) -> None:
        """Reject later rows of a key within a snapshot, and rows of keys a snapshot has."""
        keys = [sql.column(key) for key in self.spec.keys]
        detail = exp.DPipe(
            this=sql.text("duplicate_key: "), expression=exp.func("concat_ws", sql.text("/"), *keys)
        )
        sql.run(self.con, "mark_duplicate_keys", detail=detail, keys=keys)
        # A file joining a snapshot already loaded (same kind and snapshot_at): the keys that
        # snapshot has win, the first loaded (SPEC: first by file name, then row number).
        if not sql.scalar(self.con, "joins_existing_snapshot", kind=self.spec.name):
            return
        stage_keys = [sql.column(key, sql.STAGE) for key in self.spec.keys]
        detail = exp.DPipe(
            this=sql.text("duplicate_key: "),
            expression=exp.func("concat_ws", sql.text("/"), *stage_keys),
        )
        sql.run(
            self.con,
            "mark_keys_of_existing_snapshot",
            detail=detail,
            versions=exp.to_identifier(self.spec.versions),
            same_key=sql.same_key(self.spec.keys, "v", sql.STAGE),
            kind=self.spec.name,
        )

    # -- 5. write -------------------------------------------------------------------------

    def _write_rejects(self, source: Source, load_seq: int) -> int:
        count = sql.scalar(self.con, "count_rejected")
        if count:
            sql.run(
                self.con,
                "record_rejected_rows",
                file=self.file,
                kind=self.spec.name,
                raw=source.raw,
                load_seq=load_seq,
                rejected_at=self.loaded_at,
                relation=exp.to_identifier(source.relation),
            )
        return count

    def _snapshot_times(self, has_snapshot_column: bool) -> list[datetime]:
        """The snapshots this file contributes to, oldest first.

        A file without a `snapshot_at` column states one snapshot, even without rows (then:
        nothing of its kind exists). A file with the column states the times its rows give;
        with no row giving one it states none: an empty part of a snapshot split over
        several files must not become an empty snapshot at load time, deleting everything.
        """
        if not has_snapshot_column:
            return [self.default_snapshot_at]
        return [at for (at,) in sql.run(self.con, "snapshot_times").fetchall()]
