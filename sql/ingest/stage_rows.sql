-- Stage a file's rows: each with its row number, why it is rejected (null when it loads) and
-- its typed values. $reads read the file's columns (__s<i>), $parsed say which were present
-- (__p<i>) and type them (__v<i>), $values name them as in the warehouse.
-- grain: one row per data row of the file
-- params: $reason, $values, $parsed, $reads, $relation
create or replace temp table _ingest_stage as
select __row_number, $reason as __reason, $values
from (
    select __row_number, $parsed
    from (select r.__row_number, $reads from $relation as r)
)
