-- The kept `unsubscribed_contacts` of the window before brought up to date (a backtest, with
-- the subscriptions in effect kept: `windows.window.KEPT_STATE`): with the snapshot unchanged,
-- a pair is unsubscribed when the snapshot says so or one of its unsubscribe events is later
-- than the snapshot (or the snapshot has no row for it), so the pairs of the events this
-- window appended to `unsubscribes` (35) that pass that rule and are not unsubscribed yet
-- are added: the same rows `36_unsubscribed_contacts` computes over all events, without
-- reading the subscriptions and every event again. A live run never keeps the subscriptions,
-- and never runs this.
-- target: unsubscribed_contacts
-- write: append
-- when: not subscriptions_changed
-- grain: one row per contact and audience unsubscribed by this window's events
-- params: $window_end
with added as (
    select distinct
        unsubscribes.contact_id,
        unsubscribes.audience
    from unsubscribes
    left join subscriptions_at
        on subscriptions_at.contact_id = unsubscribes.contact_id
        and subscriptions_at.audience = unsubscribes.audience
    where
        unsubscribes.run_at = $window_end
        and unsubscribes.unsubscribed_at < $window_end
        and (
            subscriptions_at.contact_id is null
            or (
                subscriptions_at.status is distinct from 'unsubscribed'
                and unsubscribes.unsubscribed_at > subscriptions_at.snapshot_at
            )
        )
)

-- A left join, not `not exists`: DuckDB hashes the side it finds smaller (the window's
-- few pairs), where `not exists` hashed every kept pair.
select added.contact_id, added.audience
from added
left join unsubscribed_contacts as already
    on already.contact_id = added.contact_id
    and already.audience = added.audience
where already.contact_id is null
