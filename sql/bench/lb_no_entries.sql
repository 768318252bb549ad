-- The benchmark's lower bound, part 3 when no journey has an entry condition to evaluate:
-- no rows, the columns of `lb_entries`.
-- grain: no rows
-- params: none
select cast(null as varchar) as journey_id, cast(null as varchar) as org_id
