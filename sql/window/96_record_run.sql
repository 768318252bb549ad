-- The window's row in the run ledger, written last: a window is processed once it is here.
-- target: runs
-- write: append
-- grain: one row
-- params: $window_start, $window_end, $started_at, $finished_at, $load_seq, $counts
select
    $window_start as window_start,
    $window_end as window_end,
    $started_at as started_at,
    $finished_at as finished_at,
    'ok' as status,
    $load_seq as load_seq_through,
    cast($counts as json) as counts
