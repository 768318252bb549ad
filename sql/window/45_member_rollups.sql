-- The members roll-ups of this window, computed once: for each distinct contact filter that a
-- `members` filter of a moving journey names, each organization's members as of the run and
-- how many of them match. Entry, exit and condition filters read it (empty without roll-ups).
-- target: member_rollups
-- write: temp
-- grain: one row per roll-up and organization with members
select rollup_key, org_id, members, matching from compiled.member_rollups
