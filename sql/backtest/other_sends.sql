-- The sends other journeys made live in one window of a backtest, appended to the scratch
-- `sends` before the window runs: they count toward the delivery caps as they did live, as
-- sends made earlier in the day or week, and those of the same run as sends that ranked
-- first. Since the live run sent only the first sends up to each allowance, counting them
-- first gives the backtested journey's sends the same caps as live (docs/semantics.md).
-- target: sends
-- write: append
-- grain: one row per send of another journey in the window
-- params: $window_start, $window_end
select *
from backtest_other_sends
where run_at > $window_start and run_at <= $window_end
