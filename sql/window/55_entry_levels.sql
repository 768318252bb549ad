-- Organizations that match each published filter/tags journey's entry condition now (a level;
-- entries are its rising edges).
-- target: entry_levels
-- write: temp
-- grain: one row per journey and matching organization
select journey_id, org_id from compiled.entry_levels
