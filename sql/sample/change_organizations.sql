-- An hourly CRM sync of organizations: the snapshot $snapshot (as of the history's start)
-- with about $share of its rows changed (drawn per hour $stream, so consecutive snapshots
-- differ in up to twice that share), as of $changed_at.
-- grain: one row per organization
-- params: $seed, $stream, $share, $snapshot, $changed_at
with base as (
    select *, sample_u($seed, $stream, cast(substr(org_id, 5) as bigint), 501) < $share as touched
    from $snapshot
)
select * exclude (touched) replace (
    case when touched
        then sample_pick(['active', 'trial', 'churned', 'renewed'],
            sample_u($seed, $stream, cast(substr(org_id, 5) as bigint), 502))
        else status
    end as status,
    case when touched
        then seats + floor(sample_u($seed, $stream, cast(substr(org_id, 5) as bigint), 503) * 10)
        else seats
    end::integer as seats,
    case when touched and not list_contains(tags, 'churn-risk')
            and sample_u($seed, $stream, cast(substr(org_id, 5) as bigint), 504) < 0.3
        then list_append(tags, 'churn-risk')
        else tags
    end as tags,
    $changed_at as snapshot_at
)
from base
