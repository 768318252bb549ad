-- What one row of `organizations` is, as the warehouse's comment on the view
-- (re-applied whenever the view is made again: `warehouse.create_organizations_view`).
-- grain: one view comment
comment on view organizations is 'One row per organization as the journeys'' filters see it: its row of the newest CRM snapshot with the tags and fields that journey steps set since laid over it; custom fields and the fields steps set as columns.'
