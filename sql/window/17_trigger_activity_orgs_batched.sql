-- `17_trigger_activity_orgs` read from the rows a backtest computed for a batch of windows
-- at once (`sql/backtest/trigger_activity_orgs.sql`, `backtest.TRIGGER_BATCH`): this window's
-- slice. A live run never batches, and never runs this.
-- target: trigger_activity_orgs
-- write: temp
-- when: trigger_orgs_batched
-- grain: one row per trigger event and organization of its contact
-- params: $window_end
select
    event_id,
    contact_id,
    activity_type,
    occurred_at,
    properties,
    org_id
from backtest_trigger_activity_orgs
where window_end = $window_end
