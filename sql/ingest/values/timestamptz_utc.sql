-- An instant with a time zone as a naive UTC timestamp.
-- grain: one value
-- params: $instant
select cast($instant as timestamptz) at time zone 'UTC' as value
