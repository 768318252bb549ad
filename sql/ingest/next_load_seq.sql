-- The next load sequence number: one per file loaded, in load order.
-- grain: one row
select nextval('load_seq_counter') as load_seq
