-- The subscriptions' contact, audience and status, to be present and a known status.
-- grain: one row per subscription of the current state
-- params: none
select contact_id, audience, status from subscriptions
