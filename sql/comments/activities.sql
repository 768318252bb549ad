-- What one row of `activities` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table activities is 'One row per distinct loaded event (event_id): an activity of a contact, when it occurred, its properties and the load that brought it.'
