-- Record the new custom fields of a kind with their types, all in one statement ($names and
-- $types are lists of the same length, in the same order).
-- grain: one row per new custom field
-- params: $kind, $names, $types, $load_seq
insert into custom_fields (kind, name, type, first_seen_load_seq)
select $kind, unnest($names), unnest($types), $load_seq
