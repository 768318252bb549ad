-- Record one schema file as applied, in the transaction that applied it.
-- grain: one row per applied schema file
-- params: $name, $checksum, $applied_at
insert into schema_migrations values ($name, $checksum, $applied_at)
