-- A row of a file as JSON text ($fields: `name := r.name` pairs of struct_pack).
-- grain: one value
-- params: $fields
select cast(to_json(struct_pack($fields)) as varchar) as value
