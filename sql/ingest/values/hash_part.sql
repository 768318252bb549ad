-- One attribute in a row hash: its name, a record separator, its value as text.
-- grain: one value
-- params: $name, $text
select $name || chr(30) || $text as value
