-- The benchmark's lower bound: the last load so far (what the entry filters' clock sees).
-- grain: one row
-- params: none
select coalesce(max(load_seq), 0) as load_seq from ingested_files
