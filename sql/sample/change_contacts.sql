-- An hourly CRM sync of contacts: the snapshot $snapshot (as of the history's start) with
-- about $share of its rows changed (drawn per hour $stream), as of $changed_at.
-- grain: one row per contact
-- params: $seed, $stream, $share, $snapshot, $changed_at
with base as (
    select *, sample_u($seed, $stream, cast(substr(contact_id, 3) as bigint), 511) < $share
        as touched
    from $snapshot
)
select * exclude (touched) replace (
    case when touched
        then floor(sample_u($seed, $stream, cast(substr(contact_id, 3) as bigint), 512) * 101)
        else lead_score
    end::integer as lead_score,
    case when touched and not list_contains(tags, 'champion')
            and sample_u($seed, $stream, cast(substr(contact_id, 3) as bigint), 513) < 0.2
        then list_append(tags, 'champion')
        else tags
    end as tags,
    $changed_at as snapshot_at
)
from base
