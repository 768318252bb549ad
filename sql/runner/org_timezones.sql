-- Every time zone an organization has had (a superset of those as of any window): the zones
-- a send window with `timezone: organization` is computed for.
-- grain: one row per distinct non-empty timezone
select distinct timezone
from organization_versions
where timezone is not null and timezone <> ''
order by timezone
