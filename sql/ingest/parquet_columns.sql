-- The columns of a Parquet file and their DuckDB types, in file order.
-- grain: one row per column
-- params: $path
describe select * from read_parquet($path)
