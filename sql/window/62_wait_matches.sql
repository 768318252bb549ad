-- The organizations whose activity processed this window answers a wait_for step: computed
-- once per window (the window's activity and memberships do not change during the walk), and
-- looked up by every pass of the walk.
-- target: wait_matches
-- write: temp
-- grain: one row per wait_for step (journey, version, step) and organization
select journey_id, journey_version, step_id, org_id from compiled.wait_matches
