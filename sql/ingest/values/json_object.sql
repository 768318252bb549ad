-- A JSON object from text; null when the text is not one.
-- grain: one value
-- params: $text
select
    case when json_type(try_cast($text as json)) = 'OBJECT' then try_cast($text as json) end
        as value
