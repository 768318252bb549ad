-- Tags as stored: trimmed, without empty ones, an empty list when there are none.
-- grain: one value
-- params: $tags
select
    coalesce(
        list_filter(list_transform($tags, lambda tag: trim(tag)), lambda tag: tag <> ''),
        cast([] as varchar[])
    ) as value
