-- What the run of the window before saw (its last load sequence; null if none ran), and the
-- start of the first window ever processed (null before the first).
-- grain: one row
-- params: $window_start
select
    (select load_seq_through from runs where window_end = $window_start) as prev_load_seq,
    (select min(window_start) from runs) as first_window_start
