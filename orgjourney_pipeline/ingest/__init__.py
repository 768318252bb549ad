"""Ingest: input files -> history tables, `rejected_rows` and the file ledger (SPEC section 1).

Each file is loaded in its own transaction together with its row in the ledger
`ingested_files`, so a file loads exactly once whatever its name. The package's modules:

    kinds     file kinds and formats, field types, reason codes, the results
    inbox     which files a call loads and in which order; content hashes
    readers   CSV, JSON Lines and Parquet opened as relations with numbered rows
    fields    custom-field typing and the typed value of every column
    load      one file: read, check, type, stage, write (each in its transaction)
    history   snapshots folded into the `*_versions` tables as changes; the state as of T
    sql       the statements of `sql/ingest/` and the expressions of `sql/ingest/values/`

Row work is set-wise SQL; Python only binds the files' placeholders to sqlglot literals,
identifiers and expressions.
"""

from orgjourney_pipeline.ingest.history import read_as_of
from orgjourney_pipeline.ingest.kinds import (
    FORMATS,
    KINDS,
    FileResult,
    IngestReport,
    file_format,
    file_kind,
)
from orgjourney_pipeline.ingest.load import ingest_paths

__all__ = [
    "FORMATS",
    "KINDS",
    "FileResult",
    "IngestReport",
    "file_format",
    "file_kind",
    "ingest_paths",
    "read_as_of",
]
