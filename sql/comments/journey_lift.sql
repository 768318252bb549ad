-- What one row of `journey_lift` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view journey_lift is 'One row per journey version: enrollments, conversions and conversion rates of the treated and of the holdout, the difference with its 95 % confidence interval (normal approximation, unpooled), and the relative lift.'
