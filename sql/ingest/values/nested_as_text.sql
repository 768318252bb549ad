-- A list, struct or map as its JSON text.
-- grain: one value
-- params: $nested
select cast(to_json($nested) as varchar) as value
