-- After a compaction (21) the recent part of the rollup is in contact_activity: empty it.
-- target: contact_activity_recent
-- write: replace
-- when: compact_activity
-- grain: none (no rows)
select * from contact_activity_recent where false
