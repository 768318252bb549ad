-- md5 over the non-null attribute values ($parts, each tagged with its column name): null
-- values are left out, so adding a custom column keeps existing versions' hashes valid.
-- grain: one value
-- params: $parts
select md5(concat_ws(chr(31), '', $parts)) as value
