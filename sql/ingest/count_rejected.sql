-- How many staged rows are rejected.
-- grain: one row
select count(*) as rejected from _ingest_stage where __reason is not null
