-- A subscription status: subscribed or unsubscribed in any case; null otherwise.
-- grain: one value
-- params: $text
select
    case when lower(trim($text)) in ('subscribed', 'unsubscribed') then lower(trim($text)) end
        as value
