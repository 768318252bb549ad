-- `orgjourney export sends`: every send, in time order (narrowed by --journey and --since).
-- grain: one row per send
-- params: none
select * from sends order by run_at, send_id
