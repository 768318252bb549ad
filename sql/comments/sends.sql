-- What one row of `sends` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table sends is 'One row per message sent: one contact, one send step of one enrollment, in one run (send_id is a stable hash of enrollment, step and contact).'
