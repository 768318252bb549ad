-- One branch of a split step: the enrollments at the step (in this pass of the walk) whose
-- bucket, the first 32 bits of md5(enrollment_id|step_id) modulo 100, is in the branch's
-- percent range [low, high).
-- relation: split_choices
-- grain: one row per enrollment
-- params: $journey_id, $journey_version, $step_id, $target_step_id, $percent_low, $percent_high
select
    w.enrollment_id,
    $step_id as step_id,
    $target_step_id as target_step_id
from walk as w
where
    w.journey_id = $journey_id
    and w.journey_version = $journey_version
    and w.step_id = $step_id
    and w.status = 'active'
    and w.may_act
    and cast(('0x' || substr(md5(w.enrollment_id || '|' || w.step_id), 1, 8)) as bigint) % 100
    >= $percent_low
    and cast(('0x' || substr(md5(w.enrollment_id || '|' || w.step_id), 1, 8)) as bigint) % 100
    < $percent_high
