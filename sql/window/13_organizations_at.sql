-- Organizations as the journeys see them at the window end: the CRM snapshot in effect with
-- the tags and fields that steps set since that snapshot laid over it. The overlay's columns
-- depend on the custom fields, so the engine compiles it (`compiled.organizations_at`).
-- target: organizations_at
-- write: view
-- grain: one row per organization
select * from compiled.organizations_at
