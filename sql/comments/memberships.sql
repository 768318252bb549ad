-- What one row of `memberships` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view memberships is 'One row per contact and organization it belongs to, as of the newest snapshot.'
