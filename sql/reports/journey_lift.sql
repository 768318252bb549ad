-- The report's lift: `journey_lift` for the journey versions with a holdout (narrowed to one
-- journey by the caller).
-- grain: one row per journey version with holdout enrollments
-- params: none
select
    journey_id,
    journey_version,
    treated_enrollments,
    treated_conversions,
    holdout_enrollments,
    holdout_conversions,
    treated_rate,
    holdout_rate,
    difference,
    difference_ci_low,
    difference_ci_high,
    relative_lift
from journey_lift
where holdout_enrollments > 0
order by journey_id, journey_version
