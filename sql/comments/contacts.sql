-- What one row of `contacts` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view contacts is 'One row per contact: its current CRM row (the newest snapshot), custom fields as columns.'
