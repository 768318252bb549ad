-- A Parquet file as a relation, each row with its 1-based row number.
-- grain: one row per row of the file
-- params: $path
create or replace temp view _ingest_parquet as
select *, file_row_number + 1 as __row_number
from read_parquet($path, file_row_number = true)
