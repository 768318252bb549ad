-- A bool from text: true/1/yes or false/0/no in any case; null otherwise.
-- grain: one value
-- params: $text
select
    case
        when lower(trim($text)) in ('true', '1', 'yes') then true
        when lower(trim($text)) in ('false', '0', 'no') then false
    end as value
