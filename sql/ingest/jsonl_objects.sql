-- The non-blank lines of a JSON Lines file, each saying whether it is a JSON object.
-- grain: one row per non-blank line
create or replace temp table _ingest_lines as
select
    __row_number,
    __line,
    coalesce(json_type(try_cast(__line as json)) = 'OBJECT', false) as __is_object
from _ingest_raw_lines
where trim(__line) <> ''
