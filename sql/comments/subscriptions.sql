-- What one row of `subscriptions` is, as the warehouse's comment on the view
-- (re-applied on every upgrade, after the views are recreated).
-- grain: one view comment
comment on view subscriptions is 'One row per contact and audience (* = global): subscribed or unsubscribed, as of the newest snapshot.'
