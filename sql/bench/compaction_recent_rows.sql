-- The benchmark's compaction figure: the rows in the recent part of the activity rollup that
-- the daily compaction merges.
-- grain: one row
-- params: none
select count(*) as recent_rows from contact_activity_recent
