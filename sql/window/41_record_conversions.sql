-- The conversions recorded this run join the permanent table.
-- target: conversions
-- write: append
-- grain: one row per converting enrollment
select * exclude (exits) from new_conversions
