"""Snapshot history: the staged rows of a snapshot folded into its kind's versions as changes.

A `*_versions` table holds one row per key and stretch of time during which its row was
unchanged (valid_from <= T < valid_to). A snapshot may arrive after a newer one and still
takes its place in history; only the keys whose row differs are touched.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pyarrow as pa
from sqlglot import exp

from orgjourney_pipeline.ingest import sql
from orgjourney_pipeline.ingest.fields import row_hash
from orgjourney_pipeline.ingest.kinds import HISTORY_COLUMNS, SPECS, Kind
from orgjourney_pipeline.warehouse import table_columns


def read_as_of(con: duckdb.DuckDBPyConnection, kind: str, at: datetime) -> pa.Table:
    """The state of a snapshot kind as of `at` (naive UTC), sorted by key.

    Columns as in the current-state views: the versions' columns without valid_to and
    row_hash (valid_from is when the row took its values).
    """
    spec = SPECS.get(kind)
    if spec is None or spec.versions is None:
        raise ValueError(f"not a snapshot kind: {kind!r}")
    columns = [
        sql.column(name)
        for name in table_columns(con, spec.versions)
        if name not in ("valid_to", "row_hash")
    ]
    return sql.relation(
        con,
        "state_as_of",
        columns=columns,
        versions=exp.to_identifier(spec.versions),
        at=naive_utc(at),
        keys=[sql.column(key) for key in spec.keys],
    ).to_arrow_table()


def fold_snapshot(
    con: duckdb.DuckDBPyConnection, spec: Kind, at: datetime, load_seq: int, file: str
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
    versions = exp.to_identifier(table)
    is_new = not sql.scalar(con, "snapshot_exists", kind=spec.name, s=at)
    next_at = sql.scalar(con, "next_snapshot", kind=spec.name, s=at)
    rows = _stage_snapshot(con, spec, at)
    sql.run(
        con, "record_snapshot_file", kind=spec.name, s=at, load_seq=load_seq, file=file, rows=rows
    )
    keys = [sql.column(key) for key in spec.keys]
    sql.run(con, "versions_at", keys=keys, versions=versions, s=at)
    first = spec.keys[0]
    sql.run(
        con,
        "changed_keys",
        keys=[
            sql.alias(exp.func("coalesce", sql.column(k, "n"), sql.column(k, "c")), k)
            for k in spec.keys
        ],
        same_key=sql.same_key(spec.keys, "n", "c"),
        new_missing=sql.column(first, "n").is_(exp.Null()),
        current_missing=sql.column(first, "c").is_(exp.Null()),
        is_new=is_new,
    )
    changed = sql.same_key(spec.keys, "v", "c")
    in_table = sql.same_key(spec.keys, table, "c")
    if next_at is not None:
        sql.run(con, "continue_from_next", versions=versions, same_key=changed, s=at, n=next_at)
    sql.run(
        con,
        "cut_versions",
        versions=versions,
        same_key=in_table,
        valid_from=sql.column("valid_from", table),
        valid_to=sql.column("valid_to", table),
        s=at,
    )
    if next_at is None:
        sql.run(con, "insert_snapshot_rows", versions=versions, same_key=changed, s=at)
    else:
        sql.run(
            con,
            "extend_next_version",
            versions=versions,
            changed_key=changed,
            same_key=sql.same_key(spec.keys, table, "n"),
            valid_from=sql.column("valid_from", table),
            row_hash=sql.column("row_hash", table),
            s=at,
            n=next_at,
        )
        sql.run(
            con,
            "insert_bounded_rows",
            versions=versions,
            changed_key=changed,
            keys=keys,
            same_key=sql.same_key(spec.keys, "v", "m"),
            s=at,
            n=next_at,
        )
    if not is_new:
        _merge_at(con, spec, at)


def _stage_snapshot(con: duckdb.DuckDBPyConnection, spec: Kind, at: datetime) -> int:
    """The staged rows of the snapshot at S, with their row hashes; return how many."""
    columns = table_columns(con, spec.versions)
    attributes = [
        (name, kind.endswith("[]"))
        for name, kind in columns.items()
        if name not in spec.keys and name not in HISTORY_COLUMNS
    ]
    staged = table_columns(con, sql.STAGE)
    kept = [sql.column(name) for name in columns if name in staged]
    present = [(name, is_list) for name, is_list in attributes if name in staged]
    return sql.scalar(con, "snapshot_rows", columns=kept, row_hash=row_hash(present), s=at)


def _merge_at(con: duckdb.DuckDBPyConnection, spec: Kind, at: datetime) -> None:
    """Join a changed key's version ending at S to an equal one starting at S.

    Only a file joining an existing snapshot does this: a key that snapshot lacked (so its
    version ended at S) comes back at S with the same row.
    """
    table = spec.versions
    versions = exp.to_identifier(table)
    merged = sql.scalar(
        con,
        "versions_to_merge",
        keys=[sql.column(key, "b") for key in spec.keys],
        versions=versions,
        same_key=sql.same_key(spec.keys, "a", "b"),
        changed_key=sql.same_key(spec.keys, "b", "c"),
        s=at,
    )
    if not merged:
        return
    in_table = sql.same_key(spec.keys, table, "m")
    sql.run(
        con,
        "merge_versions",
        versions=versions,
        same_key=in_table,
        valid_to=sql.column("valid_to", table),
        s=at,
    )
    sql.run(
        con,
        "delete_merged_versions",
        versions=versions,
        same_key=in_table,
        valid_from=sql.column("valid_from", table),
        s=at,
    )


def naive_utc(moment: datetime) -> datetime:
    """An instant as a naive UTC datetime."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
