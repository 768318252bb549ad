-- Record that a file contributed to the kind's snapshot at S.
-- grain: one row per file and snapshot
-- params: $kind, $s, $load_seq, $file, $rows
insert into snapshot_files (kind, snapshot_at, load_seq, file, rows_loaded)
values ($kind, $s, $load_seq, $file, $rows)
