-- Windows: the run ledger and the activity rollups maintained window by window.
-- Grain notes:
--   runs              one row per committed hourly window [window_start, window_end)
--   contact_activity  one row per contact and activity type: the events rolled up through
--                     the last compaction (the window ending at midnight UTC, or the first)
--   contact_activity_recent
--                     one row per window, contact and activity type: the windows' events
--                     since that compaction (appended each window, merged in at the next)
--   org_activity      the table of earlier versions; 013 replaces it with a view

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

create table if not exists contact_activity_recent (
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
