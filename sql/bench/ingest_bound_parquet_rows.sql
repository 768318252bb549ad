-- DuckDB alone: the benchmark's Parquet activity files as `ingest_bound_rows`, the rows the
-- ingest bound reads (`ingest_bound`, `ingest_bound_decode`).
-- grain: one row per input row
-- params: $files
create or replace temp view ingest_bound_rows as
select
    event_id, contact_id, activity_type, occurred_at, properties, filename as file,
    file_row_number + 1 as "row_number"
from read_parquet($files, filename = true, file_row_number = true)
