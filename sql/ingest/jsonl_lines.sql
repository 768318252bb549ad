-- A JSON Lines file split into its lines, numbered from 1 (a carriage return before the line
-- feed and a UTF-8 byte order mark at the start of the file are not part of a line).
-- One thread's work: the JSON parsing that follows runs in parallel over these lines.
-- grain: one row per physical line
-- params: $path
create or replace temp table _ingest_raw_lines as
select
    generate_subscripts(lines, 1) as __row_number,
    rtrim(unnest(lines), chr(13)) as __line
from (
    select string_split(
        case when starts_with(content, chr(65279)) then substr(content, 2) else content end,
        chr(10)
    ) as lines
    from read_text($path)
)
