"""The inbox: which files a call loads, in which order, and what it leaves and why.

A folder is walked recursively. Every entry that is not loaded is reported with why: hidden
entries (a name starting with '.') are skipped; a dangling link, a link out of the folder
(unless links are followed) and anything that is not a regular file or folder are rejected.
A link inside the folder is read where it points, once.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orgjourney_pipeline.ingest.kinds import KINDS, FileResult, file_format, file_kind


@dataclass
class Inbox:
    """The files to load, in processing order, and the entries not loaded."""

    files: list[Path] = field(default_factory=list)
    left: list[FileResult] = field(default_factory=list)


def ordered_files(paths: Sequence[str | Path], *, follow_links: bool = False) -> Inbox:
    """The files to load (folders expanded) in processing order, and what is left, why."""
    inbox = Inbox()
    seen: dict[Path, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            _walk(path, path.resolve(), follow_links, inbox, seen, set())
        else:
            _add(path, inbox, seen)  # named by the user: read as given (or reported missing)

    def order(path: Path) -> tuple[int, str, str]:
        kind = file_kind(path)
        return (KINDS.index(kind) if kind else len(KINDS), path.name, str(path))

    inbox.files.sort(key=order)
    return inbox


def _walk(
    folder: Path,
    root: Path,
    follow_links: bool,
    inbox: Inbox,
    seen: dict[Path, Path],
    walked: set[Path],
) -> None:
    walked.add(folder.resolve())
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        inbox.left.append(_left(folder, "rejected", f"cannot read the folder: {error.strerror}"))
        return
    for entry in entries:
        why = _left_why(entry, root, follow_links)
        if why is not None:
            status, message = why
            inbox.left.append(_left(entry, status, message))
        elif entry.is_dir():
            if entry.resolve() in walked:
                inbox.left.append(_left(entry, "skipped", "a link to a folder already read"))
            else:
                _walk(entry, root, follow_links, inbox, seen, walked)
        else:
            _add(entry, inbox, seen)


def _left_why(entry: Path, root: Path, follow_links: bool) -> tuple[str, str] | None:
    """(status, why) for an entry not to load; None for a file or folder to read."""
    if entry.name.startswith("."):
        what = "folder" if entry.is_dir() and not entry.is_symlink() else "entry"
        return "skipped", f"hidden {what} (its name starts with '.'): not loaded"
    if entry.is_symlink():
        target = Path(os.path.realpath(entry))
        if not target.exists():
            return "rejected", f"a dangling link (to {os.readlink(entry)}): nothing to read"
        if not target.is_relative_to(root) and not follow_links:
            return "rejected", (
                f"a link out of the inbox (to {target}): not followed (--follow-links reads it)"
            )
    mode = entry.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "rejected", "not a regular file or folder: not read"
    return None


def _add(path: Path, inbox: Inbox, seen: dict[Path, Path]) -> None:
    """A file to load, once: a link to a file loaded under its own name is left."""
    resolved = path.resolve()
    earlier = seen.get(resolved)
    if earlier is not None and earlier.is_symlink() and not path.is_symlink():
        inbox.files.remove(earlier)  # the file itself, rather than a link to it
        path, earlier = earlier, path
        seen[resolved] = earlier
        inbox.files.append(earlier)
    if earlier is not None:
        inbox.left.append(_left(path, "skipped", f"the same file as {earlier}: read once"))
        return
    seen[resolved] = path
    inbox.files.append(path)


def _left(path: Path, status: str, why: str) -> FileResult:
    return FileResult(
        file=str(path),
        kind=file_kind(path),
        format=file_format(path),
        status=status,
        message=f"{path}: {why}",
    )


def content_hash(path: Path) -> str:
    """The sha256 of a file's bytes: its identity in the ledger."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
