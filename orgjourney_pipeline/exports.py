"""Files for the email/SMS providers and CRM writeback, and the `export` command.

After a window commits, its sends are written per journey, step and channel, and its
organization updates for CRM writeback, as CSV and Parquet under the exports folder:

    sends/run=2026-01-05T10/journey=<id>/step=<id>/channel=email/sends.{csv,parquet}
    org_updates/run=2026-01-05T10/org_updates.{csv,parquet}

Every file is written under a temporary name and renamed into place, so a crash never
leaves a half-written file that looks whole; `exported_windows` records the windows whose
files are complete, and a later run writes any that a crash left out. The statements are the
files of `sql/exports/`; values are bound into them as sqlglot literals.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
from sqlglot import exp

from orgjourney_pipeline import contract, sqlfiles
from orgjourney_pipeline.faults import maybe_fault
from orgjourney_pipeline.warehouse import utc_now

# What `orgjourney export` writes: each has its statement, sql/exports/<name>.sql.
EXPORTABLE = ("sends", "conversions", "enrollments")
_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9_.-]")


class UnknownJourney(ValueError):
    """`export --journey` names a journey the warehouse never registered."""


def export_pending_windows(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> list[datetime]:
    """Write the files of every committed window not yet exported; return their window ends."""
    pending_sql = sqlfiles.load("exports/pending_windows.sql").sql()
    pending = [end for (end,) in con.execute(pending_sql).fetchall()]
    for window_end in pending:
        export_window(con, window_end, exports_dir)
    return pending


def export_window(con: duckdb.DuckDBPyConnection, window_end: datetime, exports_dir: Path) -> None:
    """Write one window's send batches and org updates, then record it as exported."""
    run_dir = run_folder(window_end)
    batches_sql = sqlfiles.load("exports/send_batches.sql").sql(window_end=window_end)
    for journey_id, step_id, channel in con.execute(batches_sql).fetchall():
        folder = (
            exports_dir
            / "sends"
            / run_dir
            / f"journey={_path_part(journey_id)}"
            / f"step={_path_part(step_id)}"
            / f"channel={_path_part(channel)}"
        )
        rows = sqlfiles.load("exports/batch_sends.sql").bind(
            window_end=window_end, journey_id=journey_id, step_id=step_id, channel=channel
        )
        _write_both(con, rows, folder / "sends")
    count_sql = sqlfiles.load("exports/window_org_update_count.sql").sql(window_end=window_end)
    [(org_updates,)] = con.execute(count_sql).fetchall()
    if org_updates:
        rows = sqlfiles.load("exports/window_org_updates.sql").bind(window_end=window_end)
        _write_both(con, rows, exports_dir / "org_updates" / run_dir / "org_updates")
    record = sqlfiles.load("exports/record_exported_window.sql")
    con.execute(record.sql(window_end=window_end, exported_at=utc_now()))


def run_folder(window_end: datetime) -> str:
    """The folder of one window's files under `sends/` and `org_updates/`."""
    return f"run={window_end:%Y-%m-%dT%H}"


def export_table(
    con: duckdb.DuckDBPyConnection,
    what: str,
    out: Path,
    *,
    journey_id: str | None = None,
    since: datetime | None = None,
    file_format: str = "csv",
) -> int:
    """`orgjourney export`: rows of sends, conversions or enrollments to one file; row count."""
    if what not in EXPORTABLE:
        raise ValueError(f"cannot export {what!r}: choose one of {', '.join(EXPORTABLE)}")
    if journey_id is not None and not contract.journey_known(con, journey_id):
        raise UnknownJourney(f"no journey {journey_id!r} in the warehouse")
    rows = contract.narrowed(
        sqlfiles.load(f"exports/{what}.sql").bind(),
        journey_id=journey_id,
        since=since,
        time_column=contract.TIME_COLUMNS[what],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    return _write(con, rows, out, file_format)


def export_csv_to(
    con: duckdb.DuckDBPyConnection,
    what: str,
    stream: BinaryIO,
    *,
    journey_id: str | None = None,
    since: datetime | None = None,
) -> int:
    """`orgjourney export --out -`: the same CSV as a file export, written to `stream`."""
    with tempfile.TemporaryDirectory(prefix="orgjourney-export-") as folder:
        out = Path(folder) / f"{what}.csv"
        rows = export_table(con, what, out, journey_id=journey_id, since=since)
        with open(out, "rb") as handle:
            shutil.copyfileobj(handle, stream)
    stream.flush()
    return rows


def format_of(out: Path) -> str | None:
    """The export format a file's extension names (`.csv`, `.parquet`), or None."""
    return {".csv": "csv", ".parquet": "parquet"}.get(out.suffix.lower())


# -- helpers ----------------------------------------------------------------------------------


def _write_both(con, rows: exp.Query, stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    _write(con, rows, stem.with_suffix(".parquet"), "parquet")
    _write(con, rows, stem.with_suffix(".csv"), "csv")


def _write(con, rows: exp.Query, out: Path, file_format: str) -> int:
    """COPY to a temporary name beside `out`, then rename: the file appears whole or not at all.

    Returns the number of rows written.
    """
    partial = out.with_name(f".{out.name}.partial")
    if file_format == "csv":
        rows = _neutralised(con, rows)
    elif file_format != "parquet":
        raise ValueError(f"unknown format {file_format!r}: csv or parquet")
    copy = sqlfiles.load(f"exports/copy_{file_format}.sql")
    [(written,)] = con.execute(copy.sql(rows=rows, file=str(partial))).fetchall()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    maybe_fault("export_partial")
    os.replace(partial, out)
    _fsync_folder(out.parent)
    maybe_fault("export_file")
    return written


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable: flush the folder's entry (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _neutralised(con, rows: exp.Query) -> exp.Select:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    `=`, `@`, tab and carriage return always; `+` and `-` unless the whole cell is a number
    or a phone (digits, spaces, dots, dashes, parentheses), so `+1 415 555 0123` stays
    dialable while `-2+3+cmd|' /C calc'!A0` is defused.
    """
    described = con.sql(rows.sql(dialect="duckdb"))  # a relation: typed, not yet run
    pattern = exp.Literal.string(r"^([=@\t\r]|[+-].*[^0-9 ().-])")
    columns = []
    for name, column_type in zip(described.columns, map(str, described.types), strict=True):
        column = exp.column(exp.to_identifier(name, quoted=True))
        if column_type == "VARCHAR":
            guarded = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.func("regexp_matches", column.copy(), pattern.copy()),
                        true=exp.DPipe(this=exp.Literal.string("'"), expression=column.copy()),
                    )
                ],
                default=column.copy(),
            )
            columns.append(guarded.as_(exp.to_identifier(name, quoted=True)))
        else:
            columns.append(column)
    return exp.select(*columns).from_(rows.subquery("rows"))


def _path_part(value: str) -> str:
    """A value safe as one path component (ids are already plain; others are escaped)."""
    return _UNSAFE_PATH.sub(lambda m: f"%{ord(m.group()):02X}", value)


def remove_partials(exports_dir: Path) -> None:
    """Delete temporary files a crash left behind (they never look whole)."""
    if exports_dir.is_dir():
        for partial in exports_dir.rglob(".*.partial"):
            partial.unlink(missing_ok=True)
