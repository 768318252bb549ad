"""The DuckDB warehouse: connect, upgrade the schema from `sql/schema/`, run transactions.

Every connection is set to UTC (instants are stored as naive UTC timestamps), and DuckDB's
threads and memory limit follow the machine. Schema files are applied in name order and
recorded in `schema_migrations` with their checksum, so a warehouse made by an older version
upgrades itself, and one whose applied schema file has since been edited is refused. The
analysts' views (`sql/views/`) are recreated on every upgrade, so a changed view reaches old
warehouses too. The warehouse's own queries are the files of `sql/warehouse/`; only session
settings (`set ...`) and transaction control are written here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

from orgjourney_pipeline import access, sqlfiles
from orgjourney_pipeline.access import WarehouseBusy
from orgjourney_pipeline.journeys import overlay
from orgjourney_pipeline.settings import sql_dir

DUCKDB_LOCK_WAIT = "in use by another orgjourney process"


class MigrationChanged(RuntimeError):
    """A schema file applied to the warehouse was edited since (its checksum differs)."""


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    upgrade_schema: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and upgrade the warehouse at `path`.

    A reader waits for a run's window in progress (`access`); any opener waits while another
    process holds the file — up to `wait_seconds` in all (default `ORGJOURNEY_LOCK_WAIT`,
    else 60 s), calling `on_wait` once with what it waits for, and then raises
    `WarehouseBusy`. A new warehouse appears whole or not at all (see `_create`). A warehouse
    whose applied schema file was edited raises `MigrationChanged`, read-only or not, before
    anything is changed. `upgrade_schema=False` skips the upgrade (a writer reopening a file
    it upgraded, between its windows).
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not read_only and not path.exists():
            _create(path)
    deadline = access.Deadline(lock_wait(wait_seconds))
    once = _once(on_wait)
    if read_only:
        with access.reader_turn(path, deadline, once) as turn:
            con = _open(path, True, deadline, once, turn.wait_for_window)
    else:
        con = _open(path, False, deadline, once, lambda: None)
    con.execute("set TimeZone = 'UTC'")
    # DuckDB's own progress bar would write over the CLI's bars and into the logs of
    # scheduled runs (it is a session setting, not one `connect` accepts).
    con.execute("set enable_progress_bar = false")
    try:
        if read_only:
            verify_migrations(con)
        elif upgrade_schema:
            upgrade(con)
    except BaseException:
        con.close()
        raise
    return con


def _open(
    path: Path,
    read_only: bool,
    deadline: access.Deadline,
    on_wait: Callable[[str], None],
    before_each_try: Callable[[], None],
) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection, tried again while another process holds the file's lock."""
    while True:
        before_each_try()
        try:
            return duckdb.connect(str(path), read_only=read_only, config=_config())
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            on_wait(DUCKDB_LOCK_WAIT)
            if deadline.passed():
                raise deadline.busy(path, "") from error
            time.sleep(access.POLL_SECONDS)


def _once(on_wait: Callable[[str], None] | None) -> Callable[[str], None]:
    """`on_wait`, called at most once (a wait is announced once, whatever it waits for)."""
    told = on_wait is None

    def tell(message: str) -> None:
        nonlocal told
        if not told:
            told = True
            on_wait(message)

    return tell


class Writer:
    """The warehouse of one writing invocation (a run, an ingest), open only while it writes.

    `con` opens the file for writing when first asked, taking the window's turn (`access`),
    and `release()` closes it: readers open the file until `con` is asked for again. Made by
    `writing`, which holds the run lock for the whole invocation. Over a caller's open
    connection (`Writer.over`) the file stays open and `release` does nothing.
    """

    def __init__(
        self,
        path: Path,
        con: duckdb.DuckDBPyConnection | None = None,
        on_wait: Callable[[str], None] | None = None,
        wait_seconds: float | None = None,
    ):
        self.path, self._con, self._held = path, con, con is not None
        self._on_wait, self._wait_seconds = on_wait, wait_seconds
        self._turn: contextlib.ExitStack | None = None
        self._upgraded = False
        self.opens, self.open_seconds = 0, 0.0  # what reopening between windows costs

    @classmethod
    def over(cls, con: duckdb.DuckDBPyConnection) -> Writer:
        """A writer over a connection its caller opened and closes (kept open throughout)."""
        return cls(Path(_database_path(con) or ":memory:"), con)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection, opened (waiting for readers already in) if it was not."""
        if self._con is None:
            clock = time.perf_counter()
            turn = contextlib.ExitStack()
            deadline = access.Deadline(lock_wait(self._wait_seconds))
            turn.enter_context(access.window_turn(self.path, deadline, self._on_wait))
            try:
                self._con = connect(
                    self.path,
                    wait_seconds=self._wait_seconds,
                    on_wait=self._on_wait,
                    upgrade_schema=not self._upgraded,
                )
            except BaseException:
                turn.close()
                raise
            self._turn, self._upgraded, self._on_wait = turn, True, None
            self.opens += 1
            self.open_seconds += time.perf_counter() - clock
        return self._con

    def release(self) -> None:
        """Close the file so that readers may open it (a caller's connection stays open)."""
        if self._held or self._con is None:
            return
        self._con.close()
        self._con = None
        self._turn.close()
        self._turn = None


@contextlib.contextmanager
def writing(
    path: str | Path,
    *,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Writer]:
    """The warehouse for one writing invocation: no other writer starts until it ends, and
    the file is open only while it writes (`Writer`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    once = _once(on_wait)
    with access.run_lock(path, access.Deadline(lock_wait(wait_seconds)), once):
        writer = Writer(path, on_wait=once, wait_seconds=wait_seconds)
        try:
            yield writer
        finally:
            writer.release()


@contextlib.contextmanager
def visiting(
    path: str | Path,
    *,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The file open for writing for one short visit (a rolled-back window, a binding): it
    waits for a run's window in progress, not for the whole run, and readers wait for it."""
    writer = Writer(Path(path), on_wait=_once(on_wait), wait_seconds=wait_seconds)
    try:
        yield writer.con
    finally:
        writer.release()


def _create(path: Path) -> None:
    """Make a new warehouse aside, schema applied, and link it into place.

    DuckDB writes a new file's header after creating it: a process killed in between leaves
    a file that no later command can open. Built under a temporary name and hard-linked to
    `path` (which fails if `path` exists), the warehouse appears whole or not at all, and if
    another process made it meanwhile, theirs is kept.
    """
    _remove_abandoned(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.creating")
    _unlink_with_wal(temporary)
    con = duckdb.connect(str(temporary), config=_config())
    try:
        con.execute("set TimeZone = 'UTC'")
        upgrade(con)
        con.execute("checkpoint")
    finally:
        con.close()
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temporary, path)
    finally:
        _unlink_with_wal(temporary)


def _remove_abandoned(path: Path) -> None:
    """Temporary warehouses of creating processes that no longer run (killed mid-way)."""
    for leftover in path.parent.glob(f".{path.name}.*.creating"):
        pid = leftover.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _process_exists(int(pid)):
            _unlink_with_wal(leftover)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unlink_with_wal(database: Path) -> None:
    database.unlink(missing_ok=True)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)


def lock_wait(wait_seconds: float | None = None) -> float:
    """How long to wait for another writer: `wait_seconds`, else ORGJOURNEY_LOCK_WAIT, else 60."""
    if wait_seconds is not None:
        return wait_seconds
    return float(os.environ.get("ORGJOURNEY_LOCK_WAIT", "60"))


# One lock per warehouse file for the writers of this process (see `exclusive`).
_WRITER_LOCKS: dict[str, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def exclusive(
    target: duckdb.DuckDBPyConnection | Path, *, wait_seconds: float | None = None
) -> Iterator[None]:
    """Hold the warehouse (a connection's, or the file `target`) for one writer of this
    process while the block runs.

    DuckDB's file lock keeps a second process out, but the connections of one process share
    the database: two threads (two in-process Dagster runs, a library user) could otherwise
    both plan and process the same window. The second waits up to `wait_seconds` (as
    `connect`), then raises `WarehouseBusy`. An in-memory database needs no guard.
    """
    path = str(target) if isinstance(target, Path) else _database_path(target)
    if path is None or path == ":memory:":
        yield
        return
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.setdefault(str(Path(path).resolve()), threading.RLock())
    waited = lock_wait(wait_seconds)
    if not lock.acquire(timeout=waited):
        raise WarehouseBusy(
            f"{path}: the warehouse is in use by another writer in this process "
            f"(waited {waited:g} s); try again when it has finished"
        )
    try:
        yield
    finally:
        lock.release()


def _config() -> dict[str, str]:
    """Threads and memory from the machine; spill to a temp folder beside the warehouse.

    DuckDB's buffer pool gets a quarter of the machine's memory (at least 1 GB): the process
    stays well under the 8 GiB budget of scale l on a 24 GB machine, and joins and
    aggregates larger than that spill to `<warehouse>.tmp` (DuckDB's default for a file).
    `ORGJOURNEY_MEMORY_LIMIT` (a DuckDB size such as `6GB`) and `ORGJOURNEY_THREADS` override.
    """
    memory = psutil.virtual_memory().total
    default_limit = f"{max(1024, int(memory * 0.25 / 2**20))}MB"
    return {
        "threads": os.environ.get("ORGJOURNEY_THREADS") or str(max(1, os.cpu_count() or 1)),
        "memory_limit": os.environ.get("ORGJOURNEY_MEMORY_LIMIT") or default_limit,
        "preserve_insertion_order": "false",
    }


def schema_files() -> list[Path]:
    """The schema files in the order they are applied."""
    return sorted((sql_dir() / "schema").glob("*.sql"))


def view_files() -> list[Path]:
    """The view files in the order they are created (a view after those it reads)."""
    return sorted((sql_dir() / "views").glob("*.sql"))


def comment_files() -> list[Path]:
    """The comments on the analysts' tables and views (a view's is lost when it is recreated)."""
    return sorted((sql_dir() / "comments").glob("*.sql"))


def upgrade(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the schema files not yet recorded in `schema_migrations`, then recreate the views
    and comment the tables and views (`sql/comments/`).

    Returns the names of the schema files applied. Refuses (`MigrationChanged`) a warehouse
    whose applied schema file was edited since, before applying anything. The in-process
    writer lock keeps two threads from recreating the same views at once.
    """
    with exclusive(con):
        con.execute(sqlfiles.load("warehouse/create_migrations_ledger.sql").sql())
        applied = verify_migrations(con)
        newly_applied = []
        for path in schema_files():
            if path.name in applied:
                continue
            text = path.read_text()
            with transaction(con):
                con.execute(text)
                record = sqlfiles.load("warehouse/record_migration.sql")
                con.execute(
                    record.sql(name=path.name, checksum=_checksum(text), applied_at=utc_now())
                )
            newly_applied.append(path.name)
        with transaction(con):
            for path in view_files():
                con.execute(sqlfiles.load(path).sql())
            create_organizations_view(con)
            for path in comment_files():
                con.execute(sqlfiles.load(path).sql())
    return newly_applied


def create_organizations_view(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the `organizations` view, commented: the newest CRM snapshot with the
    journeys' tag and field updates laid over it, as the filters see it (SPEC section 4).

    Its columns follow the custom fields and the fields steps set, so it is made by code, not
    a file of `sql/views/`, and again whenever they may change: on every upgrade, after an
    organizations snapshot is loaded, and in each window's transaction.
    """
    query = overlay.current_organizations(
        table_columns(con, "organization_versions"), lambda sql: con.execute(sql).fetchall()
    )
    con.execute(f"create or replace view organizations as {query}")
    con.execute(sqlfiles.load("comments/organizations.sql").sql())


def verify_migrations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The names of the applied schema files, each checked against its recorded checksum.

    Raises `MigrationChanged`, naming the file and what to do, when one was edited since it
    was applied (a file applied once is never applied again, so its edit would never reach
    this warehouse, nor would a fresh warehouse match this one).
    """
    [(has_ledger,)] = con.execute(
        sqlfiles.load("warehouse/has_migrations_ledger.sql").sql()
    ).fetchall()
    if not has_ledger:
        return set()
    recorded = dict(con.execute(sqlfiles.load("warehouse/applied_migrations.sql").sql()).fetchall())
    for path in schema_files():
        if path.name in recorded and _checksum(path.read_text()) != recorded[path.name]:
            raise MigrationChanged(
                f"{_database_path(con)}: the schema file {path} was edited after it was applied"
                " to this warehouse (its checksum differs from the one in schema_migrations);"
                " nothing was changed. An applied schema file must stay as it was: restore it"
                f" (e.g. `git checkout -- sql/schema/{path.name}`) and put the change in a new"
                " schema file, or in sql/views/ for a view"
            )
    return set(recorded)


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _database_path(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file of the connection's database (None in memory)."""
    [(path,)] = con.execute(sqlfiles.load("warehouse/database_path.sql").sql()).fetchall()
    return path


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, commit: bool = True) -> Iterator[None]:
    """One transaction: committed on success (rolled back if `commit` is false or on error)."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit" if commit else "rollback")


def utc_now() -> datetime:
    """The wall clock as a naive UTC timestamp, as the warehouse stores instants."""
    return datetime.now(UTC).replace(tzinfo=None)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table or view, in order."""
    rows = con.execute(sqlfiles.load("warehouse/table_columns.sql").sql(table=table)).fetchall()
    return dict(rows)
