-- The benchmark's lower bound, part 4 when no journey has a send step: no rows, the columns
-- of `lb_addressed`.
-- grain: no rows
-- params: none
select
    cast(null as varchar) as enrollment_id,
    cast(null as varchar) as journey_id,
    cast(null as varchar) as step_id,
    cast(null as varchar) as channel,
    cast(null as varchar) as unsubscribe_audience,
    cast(null as integer) as priority,
    cast(null as integer) as position,
    cast(null as boolean) as cap_exempt,
    cast(null as varchar) as contact_id,
    cast(null as varchar) as email,
    cast(null as varchar) as phone,
    cast(null as boolean) as sms_opt_in
where false
