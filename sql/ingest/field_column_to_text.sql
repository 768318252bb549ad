-- Turn a custom field's column to text, each value rendered by $rendered.
-- grain: none
-- params: $versions, $column, $rendered
alter table $versions alter column $column set data type varchar using $rendered
