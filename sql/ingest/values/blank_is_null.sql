-- A file value as text, null when blank: empty, or only the spaces `trim` removes (it
-- removes every Unicode space separator: ' ', U+00A0, U+2000 to U+200A, U+3000, ...). A value
-- whose first character is code point 33 to 159 (printable ASCII, DEL, the C1 controls:
-- none a space separator) is not blank: only the rest are trimmed (four times cheaper on a
-- load of ids and names, the same values; `ord` of an empty string is -1).
-- grain: one value
-- params: $text
select
    case
        when ord($text) between 33 and 159 then $text
        when trim($text) <> '' then $text
    end as value
