-- Write rows to a Parquet file.
-- grain: one row per row written
-- params: $rows, $file
copy $rows to $file (format parquet)
