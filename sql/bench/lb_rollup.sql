-- The benchmark's lower bound, part 1 (`rollup`): the window's events aggregated to
-- (organization, activity type) through the memberships.
-- grain: one row per organization and activity type with an event in the window
-- params: $window_start, $window_end
create or replace temp table lb_rollup as
select
    m.org_id,
    a.activity_type,
    count(*) as events,
    min(a.occurred_at) as first_at,
    max(a.occurred_at) as last_at
from activities as a
inner join memberships_at as m on m.contact_id = a.contact_id
where a.occurred_at >= $window_start and a.occurred_at < $window_end
group by m.org_id, a.activity_type
