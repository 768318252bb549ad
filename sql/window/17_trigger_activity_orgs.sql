-- The window's trigger events (`is_trigger`) with the organizations their contact belongs to
-- as of the window end, as every entry trigger, triggering contact, `wait_for` match and
-- conversion the journeys compile reads them. A view: each of those reads it with its own
-- activity type, which DuckDB pushes down to the events before the join, as when each
-- joined the memberships itself (a table of all of them cost more at scale m than the joins
-- it saved). The conversions read them too: a converting event is later than its
-- enrollment's entry, a window end, so never before the first window ever processed.
-- A backtest computes them for a day of windows at once (`17_trigger_activity_orgs_batched`).
-- target: trigger_activity_orgs
-- write: view
-- when: not trigger_orgs_batched
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
