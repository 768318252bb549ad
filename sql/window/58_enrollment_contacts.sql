-- The triggering contacts of the enrollments that start this run, remembered for their later
-- sends (`send_to: triggering_contacts`).
-- target: enrollment_contacts
-- write: append
-- grain: one row per new enrollment and triggering contact
-- params: $window_end
select
    new_enrollments.enrollment_id,
    triggering.contact_id,
    $window_end as entered_at
from new_enrollments
inner join compiled.entry_trigger_contacts as triggering
    on triggering.journey_id = new_enrollments.journey_id
    and triggering.org_id = new_enrollments.org_id
