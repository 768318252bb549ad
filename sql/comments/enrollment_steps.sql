-- What one row of `enrollment_steps` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table enrollment_steps is 'One row per step an enrollment reached: when, and its outcome (sent, waited, branch taken, ...).'
