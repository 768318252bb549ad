-- The organizations a diff finds different: per organization, its enrollments and sends under
-- the published version and under the file (tables `published_enrollments`, `file_enrollments`,
-- `published_sends`, `file_sends`: each backtest's rows), only where a count differs. `kind`
-- is `only_file` or `only_published` when it enters under one of them alone, else `changed`.
-- grain: one row per organization whose entries or sends differ
with counts as (
    select org_id, count(*) as published_entries, 0 as file_entries, 0 as published_sends,
        0 as file_sends
    from published_enrollments group by org_id
    union all
    select org_id, 0, count(*), 0, 0 from file_enrollments group by org_id
    union all
    select org_id, 0, 0, count(*), 0 from published_sends group by org_id
    union all
    select org_id, 0, 0, 0, count(*) from file_sends group by org_id
),

per_org as (
    select
        org_id,
        cast(sum(published_entries) as bigint) as published_entries,
        cast(sum(file_entries) as bigint) as file_entries,
        cast(sum(published_sends) as bigint) as published_sends,
        cast(sum(file_sends) as bigint) as file_sends
    from counts
    group by org_id
)

select
    org_id,
    case
        when published_entries = 0 then 'only_file'
        when file_entries = 0 then 'only_published'
        else 'changed'
    end as kind,
    published_entries,
    file_entries,
    published_sends,
    file_sends
from per_org
where published_entries <> file_entries or published_sends <> file_sends
order by kind, org_id
