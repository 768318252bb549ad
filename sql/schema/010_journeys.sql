-- Journeys, enrollments and what runs emit. State moves forward by appends, except the active
-- set (`active_enrollments`) and the edge memory (`entry_matches`), which each window rewrites.
-- Grain notes:
--   journeys            one row per journey id and version ever registered by a run
--   journey_runs        one row per window and journey id: the state and version it ran with
--   entry_matches       one row per filter/tags journey and organization that matched at the
--                       journey's last published run (the "previous level" for edges)
--   date_entries        one row per approaching_date journey, organization and date value fired
--   active_enrollments  one row per active enrollment, as of the last processed window
--   ended_enrollments   one row per enrollment that ended (completed or exited)
--   enrollment_steps    one row per step an enrollment reached
--   sends, suppressions one row per recipient (or suppressed contact) of a send step in a run
--   unsubscribes        one row per unsubscribe applied (an `unsubscribed` activity)
--   org_updates         one row per tag added/removed or field set by a step
--   conversions         at most one row per enrollment

create table if not exists journeys (
    journey_id varchar not null,
    version integer not null,
    state varchar not null,
    name varchar,
    definition json not null,
    definition_hash varchar not null,
    file varchar,
    registered_at timestamp not null,
    first_run_at timestamp,
    last_run_at timestamp
);

create table if not exists journey_runs (
    window_end timestamp not null,
    journey_id varchar not null,
    version integer not null,
    state varchar not null
);

create table if not exists entry_matches (
    journey_id varchar not null,
    org_id varchar not null
);

create table if not exists date_entries (
    journey_id varchar not null,
    org_id varchar not null,
    date_value date not null,
    fired_at timestamp not null
);

create table if not exists active_enrollments (
    enrollment_id varchar not null,
    journey_id varchar not null,
    journey_version integer not null,
    org_id varchar not null,
    entered_at timestamp not null,
    current_step_id varchar,
    reached_at timestamp,
    wake_at timestamp
);

create table if not exists ended_enrollments (
    enrollment_id varchar not null,
    journey_id varchar not null,
    journey_version integer not null,
    org_id varchar not null,
    entered_at timestamp not null,
    status varchar not null,
    current_step_id varchar,
    ended_at timestamp not null,
    end_reason varchar not null
);

create or replace view enrollments as
    select
        enrollment_id, journey_id, journey_version, org_id, entered_at,
        'active' as status, current_step_id, wake_at,
        cast(null as timestamp) as ended_at, cast(null as varchar) as end_reason
    from active_enrollments
    union all
    select
        enrollment_id, journey_id, journey_version, org_id, entered_at,
        status, current_step_id, cast(null as timestamp) as wake_at, ended_at, end_reason
    from ended_enrollments;

create table if not exists enrollment_steps (
    enrollment_id varchar not null,
    journey_id varchar not null,
    journey_version integer not null,
    org_id varchar not null,
    step_id varchar not null,
    reached_at timestamp not null,
    outcome varchar not null
);

create table if not exists sends (
    send_id varchar not null,
    run_at timestamp not null,
    journey_id varchar not null,
    journey_version integer not null,
    step_id varchar not null,
    enrollment_id varchar not null,
    org_id varchar not null,
    contact_id varchar not null,
    channel varchar not null,
    address varchar not null,
    template varchar not null
);

create table if not exists suppressions (
    send_id varchar not null,
    run_at timestamp not null,
    journey_id varchar not null,
    journey_version integer not null,
    step_id varchar not null,
    enrollment_id varchar not null,
    org_id varchar not null,
    contact_id varchar not null,
    channel varchar not null,
    address varchar,
    template varchar not null,
    reason varchar not null
);

create table if not exists unsubscribes (
    contact_id varchar not null,
    audience varchar not null,
    unsubscribed_at timestamp not null,
    journey_id varchar,
    event_id varchar not null,
    run_at timestamp not null
);

create table if not exists org_updates (
    run_at timestamp not null,
    org_id varchar not null,
    journey_id varchar not null,
    enrollment_id varchar not null,
    step_id varchar not null,
    kind varchar not null,
    name varchar not null,
    value varchar not null,
    seq integer not null
);

create table if not exists conversions (
    enrollment_id varchar not null,
    journey_id varchar not null,
    journey_version integer not null,
    org_id varchar not null,
    event_id varchar not null,
    contact_id varchar not null,
    converted_at timestamp not null,
    last_step_id varchar,
    last_send_id varchar,
    run_at timestamp not null
);
