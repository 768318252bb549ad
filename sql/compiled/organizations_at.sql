-- Organizations as the journeys see them at the window end: the CRM snapshot in effect with
-- the tags and fields that steps set since that snapshot laid over it (field names compared
-- in lower case: they ignore case, and tags are stored lower-cased). The engine adds one
-- column per field to `field_values` and the overlay's columns to the final select (they
-- depend on the custom fields; `journeys.overlay`).
-- relation: organizations_at
-- grain: one row per organization
-- params: $window_end
with snapshot_in_effect as (
    select coalesce(max(snapshot_at), cast('0001-01-01' as timestamp)) as snapshot_at
    from snapshot_files
    where kind = 'organizations' and snapshot_at <= $window_end
),

last_changes as (
    select org_id, kind, name, value
    from (
        select
            u.org_id,
            u.kind,
            lower(u.name) as name,
            u.value,
            row_number() over (
                partition by u.org_id, u.kind = 'field', lower(u.name)
                order by u.run_at desc, u.step_seq desc, u.enrollment_id desc, u.seq desc
            ) as recency
        from org_updates as u
        cross join snapshot_in_effect as s
        where u.run_at >= s.snapshot_at and u.run_at <= $window_end
    ) as ranked
    where recency = 1
),

field_values as (
    select org_id from last_changes where kind = 'field' group by org_id
),

tag_changes as (
    select org_id, name as tag, kind from last_changes where kind in ('tag_add', 'tag_remove')
),

kept_tags as (
    select snapshot_tags.org_id, snapshot_tags.tag
    from (
        select o.org_id, unnest(o.tags) as tag
        from org_snapshot_at as o
        where o.org_id in (select org_id from tag_changes)
    ) as snapshot_tags
    -- a tag a step removed or added again is left to its change (the `organizations` view
    -- keeps the CRM's spelling of the others, so the names are compared in lower case)
    where not exists (
        select 1 from tag_changes as c
        where c.org_id = snapshot_tags.org_id and c.tag = lower(snapshot_tags.tag)
    )
    union all
    select org_id, tag from tag_changes where kind = 'tag_add'
),

-- An organization whose changes leave it no tag gets an empty list: the left join gives it
-- one row with a null tag, which `list` would keep as [null] (a list that `is_set` sees).
tag_lists as (
    select
        changed.org_id,
        list_sort(
            coalesce(list(distinct kept_tags.tag) filter (where kept_tags.tag is not null), [])
        ) as tags
    from (select distinct org_id from tag_changes) as changed
    left join kept_tags on kept_tags.org_id = changed.org_id
    group by changed.org_id
)

select o.org_id
from org_snapshot_at as o
left join field_values as fv on fv.org_id = o.org_id
left join tag_lists as tl on tl.org_id = o.org_id
