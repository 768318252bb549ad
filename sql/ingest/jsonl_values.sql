-- A JSON Lines file as a relation: each object's values by key (JSON), the line, and
-- whether it is an object. $values are `__values[i] as key`, $paths the keys' JSON paths.
-- grain: one row per non-blank line
-- params: $values, $paths
create or replace temp table _ingest_json as
select __row_number, __line, __is_object, $values
from (
    select *, case when __is_object then json_extract(__line, $paths) end as __values
    from _ingest_lines
)
