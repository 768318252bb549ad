-- Record a new custom field of a kind with its type.
-- grain: one row per custom field
-- params: $kind, $name, $type, $load_seq
insert into custom_fields (kind, name, type, first_seen_load_seq)
values ($kind, $name, $type, $load_seq)
