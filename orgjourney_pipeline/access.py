"""Who may open the warehouse file, and when (SPEC section 5, "Reading while a run writes").

DuckDB lets one process open a file for writing, and while it has it open no other process
may open it at all, not even read-only. So a run opens the file only for each window (its one
transaction and its exports) and closes it between windows; readers open it between windows.
Three lock files beside the warehouse (`flock`, released by the kernel when a process dies)
keep the order:

- `<file>.run`: held by a writer (a run, an ingest) for its whole invocation, so two runs
  never plan the same windows although the file is free between windows;
- `<file>.turnstile`: held by whoever has the file open for writing (a run's window, a
  preview's rolled-back one). A reader passes through it (takes and drops it) before it opens
  the file, so it waits for the window in progress; and once a writer holds it, no new reader
  slips in ahead while the writer waits for the readers already in (DuckDB's own lock makes
  it wait for them), so readers in a loop cannot starve a run;
- `<file>.queue`: held shared by every reader from its arrival until it has opened the file.
  A writer takes it exclusively, and drops it, before each window: the readers that waited
  for one window are in before the next begins, so a run cannot starve the readers.

A reader therefore waits at most for the window in progress. Only this module touches the
lock files; `warehouse.connect` and `warehouse.Writer` go through it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

POLL_SECONDS = 0.005  # how often a waiter tries a lock again
LOCK_NAMES = ("run", "turnstile", "queue")

# What a waiter is told (`on_wait`), by what it waits for.
RUN_WAIT = "another run or ingest is writing it"
WINDOW_WAIT = "a run is writing a window (a reader waits for that window, not the whole run)"


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse for longer than we wait."""


class Deadline:
    """How long an opener waits in all, across the locks it waits for."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def busy(self, database: Path | str, why: str) -> WarehouseBusy:
        """The error of a wait that ran out."""
        return WarehouseBusy(
            f"{database}: the warehouse is in use by another orgjourney process "
            f"(waited {self.seconds:g} s{'; ' + why if why else ''}); try again when it "
            "has finished"
        )


def lock_path(database: Path, name: str) -> Path:
    """The lock file `name` (one of `LOCK_NAMES`) of a warehouse file."""
    return database.with_name(f"{database.name}.{name}")


@contextlib.contextmanager
def run_lock(
    database: Path, deadline: Deadline, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Held by a writing invocation (a run, an ingest) from its start to its end."""
    with _locked(database, "run", fcntl.LOCK_EX, deadline, on_wait, RUN_WAIT):
        yield


@contextlib.contextmanager
def window_turn(
    database: Path, deadline: Deadline, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Held while a writer has the file open: first the readers waiting are let in, then new
    ones wait at the turnstile until the block ends."""
    with _locked(database, "queue", fcntl.LOCK_EX, deadline, on_wait, WINDOW_WAIT):
        pass
    with _locked(database, "turnstile", fcntl.LOCK_EX, deadline, on_wait, WINDOW_WAIT):
        yield


class ReaderTurn:
    """A reader in the queue: `wait_for_window()` returns once no window is in progress."""

    def __init__(self, database: Path, deadline: Deadline, on_wait: Callable[[str], None] | None):
        self.database, self.deadline, self.on_wait = database, deadline, on_wait

    def wait_for_window(self) -> None:
        with _locked(self.database, "turnstile", fcntl.LOCK_EX, self.deadline, self._told, ""):
            pass

    def _told(self, message: str) -> None:
        if self.on_wait is not None:
            self.on_wait(WINDOW_WAIT)
            self.on_wait = None  # said once


@contextlib.contextmanager
def reader_turn(
    database: Path, deadline: Deadline, on_wait: Callable[[str], None] | None = None
) -> Iterator[ReaderTurn]:
    """A reader's place in the queue, held until it has opened the file (the block's end)."""
    with _locked(database, "queue", fcntl.LOCK_SH, deadline, None, ""):
        yield ReaderTurn(database, deadline, on_wait)


@contextlib.contextmanager
def _locked(
    database: Path,
    name: str,
    mode: int,
    deadline: Deadline,
    on_wait: Callable[[str], None] | None,
    message: str,
) -> Iterator[None]:
    """Hold one lock file in `mode` for the block, trying until `deadline` (monotonic).

    A warehouse in memory, or in a folder where the lock file can be neither opened nor made
    (a read-only share), has no gate: the block runs at once, and DuckDB's lock is all.
    """
    descriptor = _open(database, name)
    if descriptor is None:
        yield
        return
    try:
        while True:
            try:
                fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if on_wait is not None:
                on_wait(message)
                on_wait = None
            if deadline.passed():
                raise deadline.busy(database, message or WINDOW_WAIT)
            time.sleep(POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def _open(database: Path, name: str) -> int | None:
    if str(database) == ":memory:":
        return None
    path = lock_path(database, name)
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags, 0o666)
        except OSError:
            continue
    return None
