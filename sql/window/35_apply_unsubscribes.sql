-- Unsubscribe events rolled up in this window, applied with the scope of the journey they name:
-- `global` (or no or an unknown journey_id) unsubscribes from everything ('*'); an audience
-- scope unsubscribes from that audience if the contact is subscribed to it, else globally.
-- target: unsubscribes
-- write: append
-- grain: one row per unsubscribed event
-- params: $window_end
select
    window_activities.contact_id,
    case
        when run_journeys.unsubscribe_audience is not null and exists (
            select 1
            from subscriptions_at
            where
                subscriptions_at.contact_id = window_activities.contact_id
                and subscriptions_at.audience = run_journeys.unsubscribe_audience
                and subscriptions_at.status = 'subscribed'
        ) then run_journeys.unsubscribe_audience
        else '*'
    end as audience,
    window_activities.occurred_at as unsubscribed_at,
    run_journeys.journey_id,
    window_activities.event_id,
    $window_end as run_at
from window_activities
left join run_journeys
    on run_journeys.journey_id = json_extract_string(window_activities.properties, '$.journey_id')
where window_activities.activity_type = 'unsubscribed'
