"""The tests' fault hook: `ORGJOURNEY_FAULT=raise:<point>` or `kill:<point>`.

Code that must stay safe when interrupted names its points (a window's SQL steps; an export
file written under its temporary name, `export_partial`, and in place, `export_file`); at
the named point the process raises `InjectedFault` or kills itself with
SIGKILL, so the tests can prove that an interrupted run leaves nothing half-written.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "ORGJOURNEY_FAULT"


class InjectedFault(RuntimeError):
    """Raised by the fault hook (tests only)."""


def maybe_fault(point: str) -> None:
    """Raise or die here if the fault hook names this point."""
    action, _, where = os.environ.get(FAULT_ENV, "").partition(":")
    if where != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise InjectedFault(f"injected fault at {point}")
