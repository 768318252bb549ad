-- The benchmark's lower bound, part 3: an activity journey's entry filter over the
-- organizations its trigger matched in part 2 (a branch of `lb_entries`).
-- grain: one row per triggered organization that meets the filter
-- params: $journey_id, $condition
select $journey_id as journey_id, o.org_id
from organizations_at as o
inner join lb_triggered as t on t.org_id = o.org_id and t.journey_id = $journey_id
where $condition
