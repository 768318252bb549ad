-- The CRM's organizations now: the rows of the newest snapshot, tags as the CRM spelled them
-- (the `organizations` view lays the journeys' updates over them: `journeys.overlay`; custom
-- columns added to organization_versions appear here by themselves).
-- relation: org_snapshot_at
-- grain: one row per organization of the newest snapshot
-- params: none
select * exclude (valid_to, row_hash) from organization_versions where valid_to is null
