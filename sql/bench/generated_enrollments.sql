-- The benchmark's generated active enrollments (`--enrollments`): $count of them, spread over
-- the organizations and the journeys' waiting steps (`bench_waiting_steps`, $steps rows),
-- entered in the two weeks before $now, each due at one of the next 168 hours.
-- grain: one row per generated enrollment
-- params: $now, $count, $steps
insert into active_enrollments by name
with orgs as (
    select org_id, row_number() over (order by org_id) - 1 as n
    from organizations
),

generated as (
    select
        g.n,
        g.n % (select count(*) from orgs) as org_n,
        (g.n // (select count(*) from orgs)) % $steps as step_n,
        $now - to_hours(g.n % 336) as entered_at
    from range($count) as g (n)
)

select
    md5('bench-generated|' || g.n) as enrollment_id,
    s.journey_id,
    s.journey_version,
    o.org_id,
    g.entered_at,
    s.step_id as current_step_id,
    g.entered_at as reached_at,
    $now + to_hours(1 + (g.n * 7919) % 168) as wake_at
from generated as g
inner join orgs as o on o.n = g.org_n
inner join bench_waiting_steps as s on s.n = g.step_n
