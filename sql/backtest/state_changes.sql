-- When the CRM state that a window's state steps read changes: each instant at which an
-- organization version, or a subscription version or the subscriptions snapshot in effect,
-- comes into or goes out of effect; for the organizations with the journeys' updates laid
-- over them, also each instant an organizations snapshot comes into effect (the updates
-- before it no longer apply). A window whose (start, end] holds none of a state's instants
-- sees the same rows of it as the window before (`windows.window.KEPT_STATE`), but for the
-- updates themselves (`sql/backtest/org_updates_between.sql`).
-- grain: one row per state and instant
with org_versions as (
    select valid_from as at from organization_versions
    union all
    select valid_to from organization_versions
)

select distinct state, at from (
    select 'org_snapshot_changed' as state, at from org_versions
    union all
    select 'organizations_changed', at from org_versions
    union all
    select 'organizations_changed', snapshot_at from snapshot_files where kind = 'organizations'
    union all
    select 'subscriptions_changed', valid_from from subscription_versions
    union all
    select 'subscriptions_changed', valid_to from subscription_versions
    union all
    select 'subscriptions_changed', snapshot_at from snapshot_files where kind = 'subscriptions'
)
where at is not null
order by state, at
