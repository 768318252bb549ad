-- Write the rows $rows to the file $path as CSV with a header.
-- grain: one row: the count of rows written
-- params: $rows, $path
copy $rows to $path (format csv, header true)
