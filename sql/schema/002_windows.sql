-- Windows: the run ledger and the activity rollups maintained window by window.
-- Grain notes:
--   runs              one row per committed hourly window [window_start, window_end)
--   contact_activity  one row per contact and activity type: every event rolled up so far
--   org_activity      one row per organization and activity type: the events of the contacts
--                     that belonged to it as of the end of the window that processed them

create table if not exists runs (
    window_start timestamp not null,
    window_end timestamp not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    status varchar not null,
    load_seq_through bigint not null,
    counts json
);

create table if not exists contact_activity (
    contact_id varchar not null,
    activity_type varchar not null,
    first_at timestamp not null,
    last_at timestamp not null,
    events bigint not null
);

create table if not exists org_activity (
    org_id varchar not null,
    activity_type varchar not null,
    first_at timestamp not null,
    last_at timestamp not null,
    events bigint not null,
    contacts bigint not null
);
