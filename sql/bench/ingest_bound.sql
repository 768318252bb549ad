-- DuckDB alone: the benchmark's activity files (`ingest_bound_rows`) into `activities` in one
-- statement, without checks, dedupe or a ledger; the bound that `ingest_activities_rows_per_s`
-- is measured against, side by side on the same files.
-- grain: one row per input row
insert into activities (
    event_id, contact_id, activity_type, occurred_at, properties, load_seq, file, "row_number"
)
select event_id, contact_id, activity_type, occurred_at, properties, 0, file, "row_number"
from ingest_bound_rows
