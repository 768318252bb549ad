-- The benchmark's lower bound: its own connection computes in UTC, as the engine's does.
-- grain: no rows
-- params: none
set TimeZone = 'UTC'
