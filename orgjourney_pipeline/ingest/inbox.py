"""The inbox: which files a call loads, in which order, and each file's content hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from orgjourney_pipeline.ingest.kinds import KINDS, file_kind


def ordered_files(paths: Sequence[str | Path]) -> list[Path]:
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
        yield path  # a missing file is reported as unreadable by the load
        return
    for found in sorted(path.rglob("*")):
        hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
        if found.is_file() and not hidden:
            yield found


def content_hash(path: Path) -> str:
    """The sha256 of a file's bytes: its identity in the ledger."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
