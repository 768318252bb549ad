-- The tags in use on organizations (as the filters see them: lower-cased) and contacts.
-- grain: one row per kind (organizations, contacts) and tag
select 'organizations' as kind, lower(tag) as tag, count(distinct org_id) as rows
from (select org_id, unnest(tags) as tag from organizations)
group by all
union all
select 'contacts' as kind, lower(tag) as tag, count(distinct contact_id) as rows
from (select contact_id, unnest(tags) as tag from contacts)
group by all
order by kind, rows desc, tag
