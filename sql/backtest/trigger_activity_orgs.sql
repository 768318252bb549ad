-- The trigger events of a batch of a backtest's windows with their contacts' organizations,
-- for all of them in one statement: for each window of `backtest_batch_windows` (its start,
-- end, the load sequence it saw and the one its window before saw), the rows
-- `17_trigger_activity_orgs` would compute from that window's events (the rule of
-- `10_window_activities`) and the memberships as of its end (the rule of
-- `11_memberships_at`). One scan of the memberships for the batch instead of one a window;
-- exact because a backtest's inputs (its scratch copy of the activities and the membership
-- history) do not change while its windows run, and a window's events and memberships
-- depend on nothing a window before it did. The window's step reads its slice
-- (`17_trigger_activity_orgs_batched`). `tests/test_backtest.py` holds the two equal.
-- grain: one row per window, trigger event and organization of its contact
-- params: $first_window_start, $batch_start, $batch_end, $batch_load_seq, $batch_prev_load_seq
with events as (
    select
        w.window_end,
        a.event_id,
        a.contact_id,
        a.activity_type,
        a.occurred_at,
        a.properties
    from activities as a
    inner join backtest_batch_windows as w
        on a.occurred_at < w.window_end
        and a.load_seq <= w.load_seq
        and (a.occurred_at >= w.window_start or a.load_seq > w.prev_load_seq)
    where
        -- the batch's windows' events at most (the literals let the scan skip the rest)
        a.occurred_at >= $first_window_start
        and a.occurred_at < $batch_end
        and a.load_seq <= $batch_load_seq
        and (a.occurred_at >= $batch_start or a.load_seq > $batch_prev_load_seq)
)

select
    events.window_end,
    events.event_id,
    events.contact_id,
    events.activity_type,
    events.occurred_at,
    events.properties,
    m.org_id
from events
inner join membership_versions as m
    on m.contact_id = events.contact_id
    and m.valid_from <= events.window_end
    and (m.valid_to is null or m.valid_to > events.window_end)
