-- Inputs: the file ledger, rejected rows, activity events and snapshot history kept as changes.
-- Grain notes:
--   ingested_files        one row per input file loaded (keyed by content hash)
--   rejected_rows         one row per input row not loaded, with a reason code
--   activities            one row per distinct event_id (append-only; no index on purpose)
--   snapshot_files        one row per file that contributed to a snapshot (kind, snapshot_at)
--   *_versions            one row per key and stretch of time during which its row was unchanged:
--                         valid_from <= T < valid_to (valid_to null = still current)
--   custom_fields         one row per custom column of organizations or contacts, with its type

create sequence if not exists load_seq_counter start 1;

create table if not exists ingested_files (
    load_seq bigint not null,
    content_hash varchar not null,
    file varchar not null,
    kind varchar not null,
    format varchar not null,
    snapshot_at timestamp,
    rows_total bigint not null,
    rows_loaded bigint not null,
    rows_duplicate bigint not null,
    rows_rejected bigint not null,
    loaded_at timestamp not null
);

create table if not exists rejected_rows (
    file varchar not null,
    row_number bigint not null,
    kind varchar not null,
    reason varchar not null,
    raw varchar,
    load_seq bigint not null,
    rejected_at timestamp not null
);

create table if not exists activities (
    event_id varchar not null,
    contact_id varchar not null,
    activity_type varchar not null,
    occurred_at timestamp not null,
    properties json,
    load_seq bigint not null,
    file varchar not null,
    row_number bigint not null
);

create table if not exists snapshot_files (
    kind varchar not null,
    snapshot_at timestamp not null,
    load_seq bigint not null,
    file varchar not null,
    rows_loaded bigint not null
);

create table if not exists custom_fields (
    kind varchar not null,          -- organizations | contacts
    name varchar not null,
    type varchar not null,          -- number | date | timestamp | bool | text
    first_seen_load_seq bigint not null
);

create table if not exists organization_versions (
    org_id varchar not null,
    name varchar,
    tags varchar[],
    timezone varchar,
    created_at timestamp,
    valid_from timestamp not null,
    valid_to timestamp,
    row_hash varchar not null
);

create table if not exists contact_versions (
    contact_id varchar not null,
    email varchar,
    phone varchar,
    first_name varchar,
    last_name varchar,
    tags varchar[],
    sms_opt_in boolean,
    valid_from timestamp not null,
    valid_to timestamp,
    row_hash varchar not null
);

create table if not exists membership_versions (
    contact_id varchar not null,
    org_id varchar not null,
    valid_from timestamp not null,
    valid_to timestamp,
    row_hash varchar not null
);

create table if not exists subscription_versions (
    contact_id varchar not null,
    audience varchar not null,
    status varchar not null,
    valid_from timestamp not null,
    valid_to timestamp,
    row_hash varchar not null
);
