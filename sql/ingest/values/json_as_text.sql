-- A JSON value as text (a JSON string unquoted).
-- grain: one value
-- params: $json
select $json ->> '$' as value
