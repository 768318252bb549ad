-- The benchmark's lower bound, part 4 (`recipients`): the send steps due this window expanded
-- to their recipients, with addresses, the unsubscribed left out.
-- grain: one row per due send step and recipient contact
-- params: none
create or replace temp table lb_recipients as
select
    d.enrollment_id,
    d.step_id,
    c.contact_id,
    case when d.channel = 'email' then c.email else c.phone end as address
from bench_due_sends as d
inner join memberships_at as m on m.org_id = d.org_id
inner join contacts_at as c on c.contact_id = m.contact_id
where
    c.contact_id not in (select contact_id from bench_unsubscribed)
    and (
        case when d.channel = 'email' then c.email
            else case when c.sms_opt_in then c.phone end end
    ) is not null
