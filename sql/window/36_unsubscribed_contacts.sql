-- Who is unsubscribed, per contact and audience ('*' = global), as of the window end: the
-- later of the CRM snapshot in effect and the newest unsubscribe event wins.
-- target: unsubscribed_contacts
-- write: temp
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

select coalesce(latest_unsubscribe.contact_id, subscriptions_at.contact_id) as contact_id,
    coalesce(latest_unsubscribe.audience, subscriptions_at.audience) as audience
from latest_unsubscribe
full outer join subscriptions_at
    on subscriptions_at.contact_id = latest_unsubscribe.contact_id
    and subscriptions_at.audience = latest_unsubscribe.audience
where
    (
        latest_unsubscribe.contact_id is not null
        and (
            subscriptions_at.contact_id is null
            or subscriptions_at.status = 'unsubscribed'
            or latest_unsubscribe.unsubscribed_at > subscriptions_at.snapshot_at
        )
    )
    or (latest_unsubscribe.contact_id is null and subscriptions_at.status = 'unsubscribed')
