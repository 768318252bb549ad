-- Who is unsubscribed, per contact and audience ('*' = global), as of the window end: the
-- later of the CRM snapshot in effect and the newest unsubscribe event wins. So a pair the
-- snapshot has unsubscribed is, whatever its events; and a pair with an unsubscribe event is
-- when the snapshot has no row for it or the event is later than the snapshot. The two parts
-- are disjoint; only the (few) pairs with events are joined to the snapshot's rows.
-- Kept from the previous window when the subscriptions in effect are (a backtest:
-- `windows.window.KEPT_STATE`): `37_unsubscribed_contacts_added` adds this window's pairs.
-- target: unsubscribed_contacts
-- write: temp
-- when: subscriptions_changed
-- grain: one row per unsubscribed contact and audience
-- params: $window_end
with latest_unsubscribe as (
    select
        contact_id,
        audience,
        max(unsubscribed_at) as unsubscribed_at
    from unsubscribes
    where unsubscribed_at < $window_end
    group by contact_id, audience
)

select contact_id, audience
from subscriptions_at
where status = 'unsubscribed'
union all
select latest_unsubscribe.contact_id, latest_unsubscribe.audience
from latest_unsubscribe
left join subscriptions_at
    on subscriptions_at.contact_id = latest_unsubscribe.contact_id
    and subscriptions_at.audience = latest_unsubscribe.audience
where
    subscriptions_at.contact_id is null
    or (
        subscriptions_at.status is distinct from 'unsubscribed'
        and latest_unsubscribe.unsubscribed_at > subscriptions_at.snapshot_at
    )
