-- DuckDB alone: the benchmark's Parquet activity files read and every column the bound stores
-- decoded, nothing stored; the first part of `ingest_bound` (tools/ingest_profile.py --bound).
-- grain: one row
-- params: $files
select
    count(*),
    sum(strlen(event_id) + strlen(contact_id) + strlen(activity_type) + strlen(filename)),
    max(occurred_at),
    sum(strlen(properties::varchar)),
    max(file_row_number)
from read_parquet($files, filename = true, file_row_number = true)
