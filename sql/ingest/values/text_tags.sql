-- Tags from text: `;`-separated.
-- grain: one value
-- params: $text
select string_split($text, ';') as value
