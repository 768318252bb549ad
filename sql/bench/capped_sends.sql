-- The engine's sends capped by the frequency caps in the measured windows (beside the lower
-- bound's own count of the same windows).
-- grain: one row
-- params: $first_end, $last_end
select count(*)
from suppressions
where reason = 'frequency_capped' and run_at between $first_end and $last_end
