-- The edge memory: each published filter/tags journey's matches at this run replace its
-- previous ones; journeys that did not run published keep theirs.
-- target: entry_matches
-- write: replace
-- grain: one row per journey and matching organization
select journey_id, org_id
from entry_matches
where journey_id not in (select journey_id from run_journeys where state = 'published')

union all

select journey_id, org_id from entry_levels
