-- Reject the later rows of a key within one snapshot of the file (first by row number wins).
-- grain: one row per staged row rejected
-- params: $detail, $keys
update _ingest_stage set __reason = $detail
where __row_number in (
    select __row_number
    from _ingest_stage
    where __reason is null
    qualify row_number() over (partition by __snapshot_at, $keys order by __row_number) > 1
)
