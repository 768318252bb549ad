-- The newest loaded activity, and how many activities are loaded.
-- grain: one row
select max(occurred_at) as newest_occurred_at, count(*) as activities from activities
