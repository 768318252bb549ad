-- Who the entering organizations' first send step addresses, and why any is suppressed (the
-- frequency caps included: the caps count the sends already made, of every journey).
-- grain: one row per entering organization and addressed contact
-- params: $step_id
select r.org_id, r.contact_id, r.channel, r.address, r.reason
from capped_recipients as r
where
    r.step_id = $step_id
    and r.enrollment_id in (select enrollment_id from new_enrollments)
order by r.org_id, r.contact_id
