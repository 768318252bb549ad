-- The last ingest (the newest load sequence): when, how many files, rows loaded and rejected.
-- grain: one row (nulls before the first ingest)
select
    max(loaded_at) as loaded_at,
    count(*) as files,
    coalesce(sum(rows_loaded), 0) as rows_loaded,
    coalesce(sum(rows_rejected), 0) as rows_rejected
from ingested_files
where load_seq = (select max(load_seq) from ingested_files)
