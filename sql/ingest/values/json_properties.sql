-- properties from a JSON value as text: an object, or a string holding one.
-- grain: one value
-- params: $json
select
    case json_type($json)
        when 'VARCHAR' then $json ->> '$'
        when 'NULL' then null
        else cast($json as varchar)
    end as value
