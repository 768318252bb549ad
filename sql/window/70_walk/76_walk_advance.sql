-- The walk moves on to its next iteration.
-- target: walk
-- write: temp
-- grain: one row per moving enrollment
select * from walk_next
