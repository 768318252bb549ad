-- The benchmark's figures of the warehouse's state after the run: events, active enrollments,
-- sends.
-- grain: one row
-- params: none
select
    (select count(*) from activities) as history_events,
    (select count(*) from active_enrollments) as active_enrollments,
    (select count(*) from sends) as sends_total
