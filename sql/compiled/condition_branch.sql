-- One branch of a condition step: the enrollments at the step (in this pass of the walk)
-- whose organization, as the walk left it, meets the branch's filter. The step is projected
-- as the literal it is: DuckDB then plans the branches' activity counts for the enrollments
-- at the step only (with `w.step_id`, every pass paid for every count, even with nobody at
-- a condition).
-- relation: condition_choices
-- grain: one row per enrollment
-- params: $journey_id, $journey_version, $step_id, $branch_no, $target_step_id, $condition
select
    w.enrollment_id,
    $step_id as step_id,
    $branch_no as branch_no,
    $target_step_id as target_step_id
from walk as w
inner join organizations_live as o on o.org_id = w.org_id
where
    w.journey_id = $journey_id
    and w.journey_version = $journey_version
    and w.step_id = $step_id
    and w.status = 'active'
    and w.may_act
    and $condition
