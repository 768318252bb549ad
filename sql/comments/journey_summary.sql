-- What one row of `journey_summary` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view journey_summary is 'One row per journey: its name and state, enrollments by status, those held out, conversions and the conversion rate.'
