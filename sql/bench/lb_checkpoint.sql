-- The benchmark's lower bound: write the copies to the database file before timing.
-- grain: no rows
-- params: none
checkpoint
