-- The benchmark's lower bound, part 4 (`recipients`): the send steps due this window expanded
-- to the contacts their `send_to` keeps (`$addressed`: one branch per send step), with
-- addresses, the contacts unsubscribed from everything or from the step's audience left out.
-- grain: one row per due send step and recipient contact
-- params: $addressed
create or replace temp table lb_recipients as
select
    a.enrollment_id,
    a.journey_id,
    a.step_id,
    a.channel,
    a.priority,
    a.position,
    a.cap_exempt,
    a.contact_id,
    case when a.channel = 'email' then a.email else a.phone end as address
from ($addressed) as a
where
    not exists (
        select 1 from bench_unsubscribed as u
        where u.contact_id = a.contact_id and u.audience in ('*', a.unsubscribe_audience)
    )
    and (
        case when a.channel = 'email' then a.email
            else case when a.sms_opt_in then a.phone end end
    ) is not null
