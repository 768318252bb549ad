-- What each window the warehouse processed had loaded (its last load sequence): a backtest
-- window that ran live sees the same events, so a late activity stays late.
-- grain: one row per processed window ending in the backtest's period
-- params: $window_start, $window_end
select window_end, load_seq_through
from source.runs
where window_end > $window_start and window_end <= $window_end
