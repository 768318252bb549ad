-- `orgjourney export conversions`: every conversion, in time order (narrowed by --journey and
-- --since).
-- grain: one row per conversion
-- params: none
select * from conversions order by converted_at, enrollment_id
