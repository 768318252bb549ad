"""Problems with journey files, as `file:line: message`, and the hints they carry.

Example:
    >>> str(Problem("j.yaml", 4, "entry.when: 'filtr' is not one of: filter" + near("filtr", ["filter"])))
    "j.yaml:4: entry.when: 'filtr' is not one of: filter (did you mean 'filter'?)"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journey file, at a line."""

    file: str
    line: int
    message: str
    severity: str = ERROR  # error | warning
    journey_id: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any of the problems is an error (not only warnings)."""
    return any(problem.severity == ERROR for problem in problems)


def hint(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for a near miss, else the known names."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(sorted(known))})"


def near(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for a near miss, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """A value as a message names it: `nothing`, `a mapping`, `a list`, `'text'`."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"
