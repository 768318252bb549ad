-- What one row of `org_updates` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table org_updates is 'One row per organization update a step made: a tag added or removed, or a field set, in one run.'
