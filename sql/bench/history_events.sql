-- The benchmark's sweeps: the events in a point's history (the x axis of one curve).
-- grain: one row
-- params: none
select count(*) as history_events from activities
