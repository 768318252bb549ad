-- A file value as text, null when blank (an empty string counts as missing).
-- grain: one value
-- params: $text
select case when trim($text) <> '' then $text end as value
