-- Organizations as the journeys see them at the window end: the CRM snapshot in effect with
-- the tags and fields that steps set since that snapshot laid over it. The overlay's columns
-- depend on the custom fields, so the engine compiles it (`compiled.organizations_at`).
-- A table, built once: the entry levels, triggers and exits read it once per journey, and
-- nothing writes org_updates before the step walk. The walk's condition steps read the same
-- overlay live (`organizations_live`, 16), so they see the updates of the steps before them.
-- target: organizations_at
-- write: temp
-- grain: one row per organization
select * from compiled.organizations_at
