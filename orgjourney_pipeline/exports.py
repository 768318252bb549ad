"""Files for the email/SMS providers and CRM writeback, and the `export` command.

After a window commits, its sends are written per journey, step and channel, and its
organization updates for CRM writeback, as CSV and Parquet under the exports folder:

    sends/run=2026-01-05T10/journey=<id>/step=<id>/channel=email/sends.{csv,parquet}
    org_updates/run=2026-01-05T10/org_updates.{csv,parquet}

Every file is written under a temporary name and renamed into place, so a crash never
leaves a half-written file that looks whole; `exported_windows` records the windows whose
files are complete, and a later run writes any that a crash left out.
"""

from __future__ import annotations

import os
import re
import signal
from datetime import datetime
from pathlib import Path

import duckdb
from sqlglot import exp

from orgjourney_pipeline.warehouse import utc_now

EXPORTABLE = ("sends", "conversions", "enrollments")
SEND_COLUMNS = (
    "send_id",
    "run_at",
    "journey_id",
    "journey_version",
    "step_id",
    "enrollment_id",
    "org_id",
    "contact_id",
    "channel",
    "address",
    "template",
)
ORG_UPDATE_COLUMNS = (
    "run_at",
    "org_id",
    "journey_id",
    "enrollment_id",
    "step_id",
    "kind",
    "name",
    "value",
)
# The fault-injection variable of the tests (see faults.FAULT_ENV).
FAULT_ENV = "ORGJOURNEY_FAULT"
_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9_.-]")


def export_pending_windows(con: duckdb.DuckDBPyConnection, exports_dir: Path) -> list[datetime]:
    """Write the files of every committed window not yet exported; return their window ends."""
    pending = [
        end
        for (end,) in con.execute(
            "select window_end from runs where window_end not in"
            " (select window_end from exported_windows) order by window_end"
        ).fetchall()
    ]
    for window_end in pending:
        export_window(con, window_end, exports_dir)
    return pending


def export_window(con: duckdb.DuckDBPyConnection, window_end: datetime, exports_dir: Path) -> None:
    """Write one window's send batches and org updates, then record it as exported."""
    run_dir = f"run={window_end:%Y-%m-%dT%H}"
    batches = con.execute(
        "select distinct journey_id, step_id, channel from sends where run_at = ? order by all",
        [window_end],
    ).fetchall()
    for journey_id, step_id, channel in batches:
        folder = (
            exports_dir
            / "sends"
            / run_dir
            / f"journey={_path_part(journey_id)}"
            / f"step={_path_part(step_id)}"
            / f"channel={_path_part(channel)}"
        )
        query = _select(
            "sends",
            SEND_COLUMNS,
            "run_at = ? and journey_id = ? and step_id = ? and channel = ?",
        )
        _write_both(con, query, [window_end, journey_id, step_id, channel], folder / "sends")
    updates = con.execute(
        "select count(*) from org_updates where run_at = ?", [window_end]
    ).fetchone()[0]
    if updates:
        # In the order they were made, so applying them in file order gives the final state.
        query = _select(
            "org_updates", ORG_UPDATE_COLUMNS, "run_at = ?", ("step_seq", "enrollment_id", "seq")
        )
        _write_both(con, query, [window_end], exports_dir / "org_updates" / run_dir / "org_updates")
    con.execute("insert into exported_windows values (?, ?)", [window_end, utc_now()])


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
    time_column = {"sends": "run_at", "conversions": "converted_at", "enrollments": "entered_at"}[
        what
    ]
    conditions, params = [], []
    if journey_id is not None:
        conditions.append("journey_id = ?")
        params.append(journey_id)
    if since is not None:
        conditions.append(f"{time_column} >= ?")
        params.append(since)
    columns = [
        name for (name,) in con.execute(f"select column_name from (describe {what})").fetchall()
    ]
    query = _select(what, columns, " and ".join(conditions) or "true", order_by=(time_column,))
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(con, query, params, out, file_format)
    return con.execute(f"select count(*) from ({query})", params).fetchone()[0]


# -- helpers ----------------------------------------------------------------------------------


def _select(table: str, columns, where: str, order_by: tuple[str, ...] = ()) -> str:
    """A SELECT of known columns (identifiers quoted by sqlglot); values come as parameters.

    Rows are ordered by `order_by`, then by the first column, so files are reproducible.
    """
    select = exp.select(*[exp.column(exp.to_identifier(c, quoted=True)) for c in columns]).from_(
        table
    )
    keys = [exp.to_identifier(c, quoted=True).sql("duckdb") for c in order_by]
    return f"{select.sql('duckdb')} where {where} order by {', '.join([*keys, '1'])}"


def _write_both(con, query: str, params: list, stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    _write(con, query, params, stem.with_suffix(".parquet"), "parquet")
    _write(con, query, params, stem.with_suffix(".csv"), "csv")


def _write(con, query: str, params: list, out: Path, file_format: str) -> None:
    """COPY to a temporary name beside `out`, then rename: the file appears whole or not at all."""
    partial = out.with_name(f".{out.name}.partial")
    if file_format == "csv":
        query = _neutralised(con, query, params)
        options = "format csv, header true"
    elif file_format == "parquet":
        options = "format parquet"
    else:
        raise ValueError(f"unknown format {file_format!r}: csv or parquet")
    target = exp.Literal.string(str(partial)).sql("duckdb")
    con.execute(f"copy ({query}) to {target} ({options})", params)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    _maybe_fault("export_partial")
    os.replace(partial, out)
    _fsync_folder(out.parent)
    _maybe_fault("export_file")


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


def _maybe_fault(point: str) -> None:
    """Test hook, as the window's (ORGJOURNEY_FAULT): `kill:export_partial` stops the process
    when a file is written under its temporary name, `kill:export_file` when one is in place."""
    action, _, where = os.environ.get(FAULT_ENV, "").partition(":")
    if where != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise RuntimeError(f"injected fault at {point}")


def _neutralised(con, query: str, params: list) -> str:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    `=`, `@`, tab and carriage return always; `+` and `-` unless the whole cell is a number
    or a phone (digits, spaces, dots, dashes, parentheses), so `+1 415 555 0123` stays
    dialable while `-2+3+cmd|' /C calc'!A0` is defused.
    """
    described = con.execute(f"describe ({query})", params).fetchall()
    pattern = exp.Literal.string(r"^([=@\t\r]|[+-].*[^0-9 ().-])")
    columns = []
    for name, column_type, *_ in described:
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
    return f"select {', '.join(c.sql('duckdb') for c in columns)} from ({query}) as rows"


def _path_part(value: str) -> str:
    """A value safe as one path component (ids are already plain; others are escaped)."""
    return _UNSAFE_PATH.sub(lambda m: f"%{ord(m.group()):02X}", value)


def remove_partials(exports_dir: Path) -> None:
    """Delete temporary files a crash left behind (they never look whole)."""
    if exports_dir.is_dir():
        for partial in exports_dir.rglob(".*.partial"):
            partial.unlink(missing_ok=True)
