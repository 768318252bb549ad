-- What one row of `unsubscribes` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table unsubscribes is 'One row per unsubscribe applied: a contact, an audience (* = global), when, and the event and journey it came from.'
