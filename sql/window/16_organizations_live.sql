-- Organizations as `organizations_at` (13), read live: with the tags and fields that the step
-- walk sets in this window laid over them too. The walk's condition steps read this view.
-- target: organizations_live
-- write: view
-- grain: one row per organization
select * from compiled.organizations_at
