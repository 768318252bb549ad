-- A number from text written as a JSON number, as a double; null when it is not one or not
-- a finite double.
-- grain: one value
-- params: $text, $pattern
select
    case
        when regexp_full_match(trim($text), $pattern) and isfinite(try_cast(trim($text) as double))
            then try_cast(trim($text) as double)
    end as value
