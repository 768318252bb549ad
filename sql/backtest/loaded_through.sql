-- The last load sequence the warehouse a backtest reads has ingested (0 before any).
-- grain: one row
select coalesce(max(load_seq), 0) as load_seq from source.ingested_files
