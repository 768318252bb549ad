-- The applied schema files and the checksums they had when applied.
-- grain: one row per applied schema file
select name, checksum from schema_migrations
