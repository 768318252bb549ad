-- What one row of `suppressions` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table suppressions is 'One row per message not sent: the same keys as sends, and the reason (unsubscribed, no address, ...).'
