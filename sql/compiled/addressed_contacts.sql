-- One send step's addressed contacts: for each of its send intents this run, the members of
-- the enrollment's organization as of the run that its `send_to` filter keeps.
-- relation: addressed_contacts
-- grain: one row per send intent and addressed contact
-- params: $journey_id, $journey_version, $step_id, $send_to
select
    i.enrollment_id,
    i.journey_id,
    i.journey_version,
    i.org_id,
    i.step_id,
    c.contact_id,
    c.email,
    c.phone,
    c.sms_opt_in
from send_intents as i
inner join memberships_at as m on m.org_id = i.org_id
inner join contacts_at as c on c.contact_id = m.contact_id
where
    i.journey_id = $journey_id
    and i.journey_version = $journey_version
    and i.step_id = $step_id
    and $send_to
