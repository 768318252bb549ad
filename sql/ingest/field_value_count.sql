-- How many versions have a value in a custom field (one column scan).
-- grain: one row
-- params: $column, $versions
select count($column) as n_values from $versions
