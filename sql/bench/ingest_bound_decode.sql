-- DuckDB alone: the benchmark's activity files read (`ingest_bound_rows`) and every column the
-- bound stores decoded to its type, nothing stored; the first part of `ingest_bound`
-- (tools/ingest_profile.py --bound).
-- grain: one row
select
    count(*),
    sum(strlen(event_id) + strlen(contact_id) + strlen(activity_type) + strlen(file)),
    max(occurred_at),
    sum(strlen(properties::varchar)),
    max("row_number")
from ingest_bound_rows
