-- The item at a 1-based position of a list.
-- grain: one value
-- params: $list, $position
select list_extract($list, $position) as value
