-- Write rows to a CSV file with a header.
-- grain: one row per row written
-- params: $rows, $file
copy $rows to $file (format csv, header true)
