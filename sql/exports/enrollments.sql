-- `orgjourney export enrollments`: every enrollment, in entry order (narrowed by --journey and
-- --since).
-- grain: one row per enrollment
-- params: none
select * from enrollments order by entered_at, enrollment_id
