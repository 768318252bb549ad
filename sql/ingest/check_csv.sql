-- Read a CSV file with DuckDB's strict parser (every column text) to check its quoting; the
-- count is trusted only to tell "no rows".
-- grain: one row
-- params: $path, $columns
select count(*) as data_rows
from read_csv(
    $path,
    header = true,
    auto_detect = false,
    columns = $columns,
    delim = ',',
    quote = '"',
    escape = '"',
    strict_mode = true,
    max_line_size = 67108864
)
