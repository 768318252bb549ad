-- The benchmark's lower bound, part 5 (`caps`): the frequency caps over part 4's recipients.
-- The sends of journeys not exempt compete per contact and channel in the caps' order
-- (priority, journey, step position; the enrollment breaks ties, as cheap as any key), each
-- cap allowing its `max_sends` less the contact's sends since the cap's period started
-- before this window; the sends past the smallest allowance are capped. One ranking pass
-- and one lookup of earlier sends per competing contact: the work any implementation of
-- SPEC's caps does.
-- grain: one row per recipient of part 4
-- params: $window_end
create or replace temp table lb_capped as
with candidates as (
    select
        r.enrollment_id,
        r.step_id,
        r.contact_id,
        r.channel,
        row_number() over (
            partition by r.contact_id, r.channel
            order by r.priority desc, r.journey_id, r.position, r.enrollment_id
        ) as competing_rank
    from lb_recipients as r
    where not r.cap_exempt and r.channel in (select channel from delivery_caps)
),

earlier as (
    select s.contact_id, caps.cap_no, count(*) as sent
    from delivery_caps as caps
    inner join sends as s
        on s.channel = caps.channel
        and s.run_at >= caps.period_start
        and s.run_at < $window_end
    where s.counts_toward_caps and s.contact_id in (select contact_id from candidates)
    group by s.contact_id, caps.cap_no
),

allowances as (
    select
        competing.contact_id,
        competing.channel,
        min(caps.max_sends - coalesce(earlier.sent, 0)) as allowance
    from (select distinct contact_id, channel from candidates) as competing
    inner join delivery_caps as caps on caps.channel = competing.channel
    left join earlier
        on earlier.contact_id = competing.contact_id and earlier.cap_no = caps.cap_no
    group by competing.contact_id, competing.channel
)

select
    candidates.enrollment_id,
    candidates.step_id,
    candidates.contact_id,
    candidates.competing_rank > allowances.allowance as capped
from candidates
inner join allowances
    on allowances.contact_id = candidates.contact_id
    and allowances.channel = candidates.channel
