-- One journey's blocked entries: the organizations that would enter this run but meet its exit
-- filter now (SPEC: an organization that matches the exit filter at a run does not enter).
-- `since: entry` counts from the entry this run would make.
-- relation: exit_blocked
-- grain: one row per blocked organization
-- params: $journey_id, $window_end, $exit_filter
select
    c.journey_id,
    c.org_id
from entry_candidates as c
inner join organizations_at as o on o.org_id = c.org_id
cross join (select $window_end as entered_at) as pending
where
    c.journey_id = $journey_id
    and $exit_filter
