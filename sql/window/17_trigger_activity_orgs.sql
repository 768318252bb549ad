-- The window's trigger events (`is_trigger`) with the organizations their contact belongs to
-- as of the window end: joined to the memberships once a window, for every entry trigger,
-- triggering contact, `wait_for` match and conversion the journeys compile (each of those
-- joined them itself: a full scan of the memberships each, about 35 ms at scale m). The
-- conversions read them too: a converting event is later than its enrollment's entry, a
-- window end, so never before the first window ever processed.
-- A backtest computes them for a batch of windows at once (`17_trigger_activity_orgs_batched`).
-- target: trigger_activity_orgs
-- write: temp
-- when: trigger_orgs_joined
-- grain: one row per trigger event and organization of its contact
select
    a.event_id,
    a.contact_id,
    a.activity_type,
    a.occurred_at,
    a.properties,
    m.org_id
from window_activities as a
inner join memberships_at as m on m.contact_id = a.contact_id
where a.is_trigger
