-- Every journey version a run has registered, with its definition and whether it has been
-- published (a published version is immutable).
-- grain: one row per journey id and version
select
    journey_id,
    version,
    definition,
    first_run_at is not null as published,
    file
from journeys
order by journey_id, version
