-- The benchmark's lower bound, part 3a (`member_rollups`): the `members` roll-ups the entry
-- filters read, one grouped pass per distinct contact filter (as the engine shares them).
-- grain: one row per roll-up and organization with members
-- params: $rollups
create or replace temp table member_rollups as $rollups
