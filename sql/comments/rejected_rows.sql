-- What one row of `rejected_rows` is, as the warehouse's comment on the table
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one table comment
comment on table rejected_rows is 'One row per input row not loaded: its file, row number, kind, reason code and raw text.'
