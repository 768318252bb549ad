-- Type the custom columns of a text file in one pass: the columns ($texts, each the value as
-- text, null when blank, aliased by its name) unpivoted, then per column the counts of
-- values of each shape. A column without any value has no row.
-- grain: one row per custom column with a value
-- params: $texts, $relation, $names, $number, $date, $datetime
select
    field,
    count(value) as n_values,
    count_if(regexp_full_match(value, $number)) as n_number,
    count_if(regexp_full_match(value, $date)) as n_date,
    count_if(regexp_full_match(value, $datetime)) as n_datetime,
    count_if(lower(value) in ('true', 'false')) as n_bool
from (
    unpivot (select $texts from $relation as r)
    on $names
    into name field value value
)
group by field
