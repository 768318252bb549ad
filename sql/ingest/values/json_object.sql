-- A JSON object from text; null when the text is not one. Valid JSON that starts with `{` is
-- an object, and the cast keeps the text as it is, so that case needs two parses instead of
-- three; every other text goes the long way (a leading space, an array, invalid JSON).
-- grain: one value
-- params: $text
select
    case
        when starts_with($text, '{') and json_valid($text) then try_cast($text as json)
        when json_type(try_cast($text as json)) = 'OBJECT' then try_cast($text as json)
    end as value
