-- Record a loaded file in the ledger (in the file's transaction).
-- grain: one row per file loaded
-- params: $load_seq, $hash, $file, $kind, $format, $snapshot_at, $total, $loaded, $duplicate, $rejected, $loaded_at
insert into ingested_files (
    load_seq, content_hash, file, kind, format, snapshot_at,
    rows_total, rows_loaded, rows_duplicate, rows_rejected, loaded_at
)
values (
    $load_seq, $hash, $file, $kind, $format, $snapshot_at,
    $total, $loaded, $duplicate, $rejected, $loaded_at
)
