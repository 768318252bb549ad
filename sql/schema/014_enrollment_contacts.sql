-- The triggering contacts of enrollments, for `send_to: triggering_contacts`: the contacts
-- whose activity of the entry's type (and `where`) in the entry's window made the organization
-- enter, remembered so that later steps send to the same contacts (those still members as of
-- each run that sends). Appended at entry, never changed.
-- Grain: one row per enrollment and triggering contact.
create table if not exists enrollment_contacts (
    enrollment_id varchar not null,
    contact_id varchar not null,
    entered_at timestamp not null
);
