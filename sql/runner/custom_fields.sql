-- The custom fields loaded so far, with their types (the built-in ones are not listed).
-- grain: one row per kind (organizations, contacts) and field
select kind, name, type from custom_fields order by kind, name
