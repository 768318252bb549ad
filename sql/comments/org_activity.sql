-- What one row of `org_activity` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view org_activity is 'One row per organization and activity type: the processed events of its contacts rolled up (first_at, last_at, events, contacts).'
