-- The ledger of applied schema files (sql/schema/), made before the first is applied: each
-- file's name, the sha256 of its text when it was applied, and when.
-- grain: one row per applied schema file
create table if not exists schema_migrations (
    name varchar primary key,
    checksum varchar not null,
    applied_at timestamp not null
)
