-- Every organization id the warehouse has known (the names explain suggests for an unknown one).
-- grain: one row per organization id
select distinct org_id from organization_versions order by org_id
