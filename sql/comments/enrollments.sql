-- What one row of `enrollments` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view enrollments is 'One row per enrollment of an organization in a journey (active or ended): version, entry time, status, current step, end reason.'
