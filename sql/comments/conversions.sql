-- What one row of `conversions` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table conversions is 'One row per converted enrollment (at most one each): the attribution event, when, and the last step and send before it.'
