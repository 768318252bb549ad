-- What one row of `journey_funnel` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view journey_funnel is 'One row per journey, version and step (with its position): enrollments that reached it, sends, suppressions, conversions after it.'
