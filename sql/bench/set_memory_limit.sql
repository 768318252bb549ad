-- The benchmark's sweeps: a point's share of the memory limit, e.g. '512MB'.
-- grain: no rows
-- params: $limit
set memory_limit = $limit
