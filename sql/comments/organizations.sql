-- What one row of `organizations` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view organizations is 'One row per organization: its current CRM row (the newest snapshot), custom fields as columns.'
