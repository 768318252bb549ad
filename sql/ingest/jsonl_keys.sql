-- The keys of a JSON Lines file's objects, in the order they first appear.
-- grain: one row per distinct key
select key
from (
    select __row_number, unnest(json_keys(__line)) as key
    from _ingest_lines
    where __is_object
)
group by key
order by min(__row_number), key
