-- The sends the lower bound's caps part capped this window (after the timed parts; set
-- beside the engine's `frequency_capped` suppressions of the same windows).
-- grain: one row
-- params: none
select count(*) filter (where capped) from lb_capped
