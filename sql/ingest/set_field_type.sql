-- Record a custom field's new type.
-- grain: one row
-- params: $type, $kind, $name
update custom_fields set type = $type where kind = $kind and name = $name
