-- The last load sequence ingested: a run sees the events loaded up to it.
-- grain: one row
select coalesce(max(load_seq), 0) as load_seq from ingested_files
