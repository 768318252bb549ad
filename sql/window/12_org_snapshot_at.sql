-- The CRM's organizations as of the window end (tags lower-cased, so tag filters ignore case).
-- Kept from the previous window when its caller knows no version came into or out of effect
-- since, on the same connection (a backtest: `windows.window.KEPT_STATE`).
-- target: org_snapshot_at
-- write: temp
-- when: org_snapshot_changed
-- grain: one row per organization present in the snapshot in effect
-- params: $window_end
select
    * exclude (tags, valid_from, valid_to, row_hash),
    list_transform(coalesce(tags, []), tag -> lower(tag)) as tags
from organization_versions
where valid_from <= $window_end and (valid_to is null or valid_to > $window_end)
