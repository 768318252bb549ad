-- One approaching_date journey's entry trigger: the organizations whose date field falls
-- within the next N days (today <= date <= today + N), once per organization and date value.
-- relation: entry_triggers
-- grain: one row per entering organization
-- params: $journey_id, $field_date, $first_day, $last_day, $entry_filter
select
    $journey_id as journey_id,
    o.org_id,
    $field_date as date_value
from organizations_at as o
where
    $field_date between $first_day and $last_day
    and not exists (
        select 1
        from date_entries as d
        where
            d.journey_id = $journey_id
            and d.org_id = o.org_id
            and d.date_value = $field_date
    )
    and $entry_filter
