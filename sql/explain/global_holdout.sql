-- Whether an organization is in the global holdout of the window just computed (the same
-- bucket as 57_new_enrollments: md5 of the organization, first 32 bits, modulo 10000).
-- grain: one row
-- params: $org_id
select
    cast(('0x' || substr(md5($org_id), 1, 8)) as bigint) % 10000
    < coalesce((select max(global_holdout_threshold) from delivery_settings), 0) as held_out
