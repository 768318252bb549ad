-- The journeys' current versions and states as of this window: a version seen for the first
-- time is registered; every current version's state and last run are updated, and its
-- `first_run_at` set at its first published run. Versions not current keep their rows.
-- target: journeys
-- write: upsert (journey_id, version)
-- grain: one row per current journey version
-- params: $window_end
select
    current.journey_id,
    current.version,
    current.state,
    coalesce(registered.name, current.name) as name,
    coalesce(registered.definition, cast(current.definition as json)) as definition,
    coalesce(registered.definition_hash, current.definition_hash) as definition_hash,
    coalesce(registered.file, current.file) as file,
    coalesce(registered.registered_at, $window_end) as registered_at,
    case
        when registered.first_run_at is not null then registered.first_run_at
        when current.state = 'published' then $window_end
    end as first_run_at,
    $window_end as last_run_at
from journey_catalog as current
left join journeys as registered
    on registered.journey_id = current.journey_id
    and registered.version = current.version
