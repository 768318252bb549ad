-- What one row of `journeys` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table journeys is 'One row per journey version registered: its state, name, definition (JSON) and when it first ran.'
