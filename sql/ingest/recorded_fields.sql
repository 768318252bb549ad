-- The custom fields recorded for a kind, with their types.
-- grain: one row per custom field of the kind
-- params: $kind
select name, type from custom_fields where kind = $kind
