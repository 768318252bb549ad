-- Give a custom field's column another type (the type is set on the statement's tree).
-- grain: none
-- params: $versions, $column
alter table $versions alter column $column set data type varchar
