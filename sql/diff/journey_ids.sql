-- Every journey id a run has registered (the names a diff suggests for an unknown one).
-- grain: one row per journey id
select distinct journey_id from journeys order by journey_id
