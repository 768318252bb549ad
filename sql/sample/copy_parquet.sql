-- Write the rows $rows to the file $path as Parquet (zstd).
-- grain: one row: the count of rows written
-- params: $rows, $path
copy $rows to $path (format parquet, compression zstd)
