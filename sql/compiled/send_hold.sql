-- One send step's holds under its journey's send window: the enrollments at the step (in
-- this pass of the walk) whose window is closed at the window end, in their time zone (the
-- organization's where the window says `timezone: organization` and the zone is known, else
-- the journey's), and that are not due (held before until an opening at or before now), with
-- when the window next opens in that zone.
-- relation: send_holds
-- grain: one row per held enrollment
-- params: $journey_id, $journey_version, $step_id, $window_end
select
    w.enrollment_id,
    $step_id as step_id,
    coalesce(org_zone.opens_at, journey_zone.opens_at) as opens_at
from walk as w
inner join send_window_zones as journey_zone
    on journey_zone.journey_id = w.journey_id
    and journey_zone.journey_version = w.journey_version
    and journey_zone.is_journey_zone
left join organizations_at as o on o.org_id = w.org_id
left join send_window_zones as org_zone
    on org_zone.journey_id = w.journey_id
    and org_zone.journey_version = w.journey_version
    and org_zone.zone = o.timezone
where
    w.journey_id = $journey_id
    and w.journey_version = $journey_version
    and w.step_id = $step_id
    and w.status = 'active'
    and w.may_act
    and not coalesce(org_zone.is_open, journey_zone.is_open)
    and (w.wake_at is null or w.wake_at > $window_end)
