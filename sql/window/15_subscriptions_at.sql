-- The CRM's subscription rows as of the window end, with the time of the snapshot in effect.
-- Kept from the previous window when its caller knows neither a version nor the snapshot in
-- effect changed since, on the same connection (a backtest: `windows.window.KEPT_STATE`).
-- target: subscriptions_at
-- write: temp
-- when: subscriptions_changed
-- grain: one row per contact and audience
-- params: $window_end
with snapshot_in_effect as (
    select max(snapshot_at) as snapshot_at
    from snapshot_files
    where kind = 'subscriptions' and snapshot_at <= $window_end
)

select
    subscription_versions.contact_id,
    subscription_versions.audience,
    subscription_versions.status,
    snapshot_in_effect.snapshot_at
from subscription_versions
cross join snapshot_in_effect
where
    subscription_versions.valid_from <= $window_end
    and (subscription_versions.valid_to is null or subscription_versions.valid_to > $window_end)
