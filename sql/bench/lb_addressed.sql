-- The benchmark's lower bound, part 4, one send step: its due sends (`i`) and the members of
-- their organizations (`c`) its `send_to` keeps (the journey's narrowed by the step's); one
-- branch of `lb_recipients`'s union.
-- grain: one row per due send of the step and addressed contact
-- params: $journey_id, $step_id, $send_to
select
    i.enrollment_id,
    i.journey_id,
    i.step_id,
    i.channel,
    i.unsubscribe_audience,
    i.priority,
    i.position,
    i.cap_exempt,
    c.contact_id,
    c.email,
    c.phone,
    c.sms_opt_in
from bench_due_sends as i
inner join memberships_at as m on m.org_id = i.org_id
inner join contacts_at as c on c.contact_id = m.contact_id
where i.journey_id = $journey_id and i.step_id = $step_id and $send_to
