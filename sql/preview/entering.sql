-- The organizations the previewed window would enter, with their names.
-- grain: one row per entering organization
select n.org_id, o.name
from new_enrollments as n
inner join organizations_at as o on o.org_id = n.org_id
order by n.org_id
