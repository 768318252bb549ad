-- DuckDB alone: the benchmark's CSV activity files parsed to the types `ingest_bound_csv`
-- stores, every column decoded, nothing stored; the first part of `ingest_bound_csv`
-- (tools/ingest_profile.py --bound).
-- grain: one row
-- params: $files
select
    count(*),
    sum(strlen(event_id) + strlen(contact_id) + strlen(activity_type) + strlen(filename)),
    max(occurred_at),
    sum(strlen(properties::varchar))
from read_csv(
    $files,
    header = true,
    filename = true,
    columns = {
        'event_id': 'varchar',
        'contact_id': 'varchar',
        'activity_type': 'varchar',
        'occurred_at': 'timestamp',
        'properties': 'json'
    }
)
