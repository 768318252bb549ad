-- Add a custom field's column to the kind's versions table (the column and its type are set
-- on the statement's tree: `fields.add_field`).
-- grain: none
-- params: $versions
alter table $versions add column custom_field varchar
