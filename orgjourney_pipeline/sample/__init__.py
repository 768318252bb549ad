"""Seeded sample CRM input files: the demo's inbox, the tests' fixtures, the benchmark's data.

Everything is generated set-wise in DuckDB: a row is a pure function of (seed, row number),
its randomness DuckDB's `hash` of those numbers, and each file is one `COPY (select ..) TO`.
No Python loop touches rows, so scale `l` (1M organizations, 10M contacts, 100M events)
takes minutes and little memory: the history is written one day file at a time. The same
seed, size and end give byte-identical files (with the same DuckDB version), so a second
demo run ingests nothing new: the ledger is keyed by content hash.

Realism, in short: organizations with tags, time zones and typed custom fields (renewal
dates around `end`, signup dates some on 29 February); contacts with gaps (no email, no
phone); memberships skewed like real B2B accounts (most organizations have 1 to 5 contacts,
a few have hundreds or thousands, some contacts belong to two); subscriptions per audience
with a few global `*` rows; activity with a daily and weekly rhythm, a few very active
contacts, properties per type, and a small share of event_ids delivered twice.

The package, by seam: `sizes` (the scales, what a written sample is), `world` (the data's
shape: rhythm, skews, weights, vocabulary), `snapshots` (organizations, contacts,
memberships, subscriptions and their hourly changes), `activities` (hours of events and the
history's day files), `statements` (the SQL of `sql/sample/`, composed with sqlglot),
`generator` (the DuckDB connection that writes a file a call) and `files` (what is written
where, in which format).
"""

from __future__ import annotations

from orgjourney_pipeline.sample.files import write_hour, write_hour_snapshots, write_sample
from orgjourney_pipeline.sample.generator import Generator as _Generator
from orgjourney_pipeline.sample.sizes import SCALES, SampleManifest, SampleSize, resolve_size

__all__ = [
    "SCALES",
    "SampleManifest",
    "SampleSize",
    "_Generator",
    "resolve_size",
    "write_hour",
    "write_hour_snapshots",
    "write_sample",
]
