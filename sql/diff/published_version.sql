-- The published version of a journey a diff compares a file with: the latest version that a
-- run has published (`first_run_at` set).
-- grain: at most one row
-- params: $journey_id
select version, definition, file
from journeys
where journey_id = $journey_id and first_run_at is not null
order by version desc
limit 1
