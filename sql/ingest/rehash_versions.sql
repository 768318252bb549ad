-- Recompute every version's row hash (after a number field became text: 5.0 became '5').
-- grain: one row per version
-- params: $versions, $row_hash
update $versions set row_hash = $row_hash
