-- Tags from a JSON value: an array of strings, or a string of `;`-separated tags.
-- grain: one value
-- params: $json
select
    case json_type($json)
        when 'ARRAY' then from_json($json, '["VARCHAR"]')
        when 'NULL' then null
        else string_split($json ->> '$', ';')
    end as value
