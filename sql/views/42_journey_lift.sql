-- Per journey and version: the enrollments and conversions of the treated (not in the
-- holdout) and of the holdout, their conversion rates as fractions, the difference treated −
-- holdout with its 95 % confidence interval by the normal approximation (unpooled standard
-- error sqrt(p_t (1 − p_t) / n_t + p_h (1 − p_h) / n_h), z = 1.96), and the relative lift
-- (treated − holdout) / holdout. A rate is null without enrollments; the difference and its
-- interval without enrollments on either side; the relative lift when the holdout's rate is 0.
-- grain: one row per journey version with any enrollment
-- params: none
create or replace view journey_lift as
with counts as (
    select
        enrollments.journey_id,
        enrollments.journey_version,
        count(*) filter (where not enrollments.is_holdout) as treated_enrollments,
        count(conversions.enrollment_id) filter (where not enrollments.is_holdout)
            as treated_conversions,
        count(*) filter (where enrollments.is_holdout) as holdout_enrollments,
        count(conversions.enrollment_id) filter (where enrollments.is_holdout)
            as holdout_conversions
    from enrollments
    left join conversions on conversions.enrollment_id = enrollments.enrollment_id
    group by enrollments.journey_id, enrollments.journey_version
),

rates as (
    select
        *,
        case
            when treated_enrollments > 0
                then cast(treated_conversions as double) / treated_enrollments
        end as treated_rate,
        case
            when holdout_enrollments > 0
                then cast(holdout_conversions as double) / holdout_enrollments
        end as holdout_rate
    from counts
),

differences as (
    select
        *,
        treated_rate - holdout_rate as difference,
        sqrt(
            treated_rate * (1 - treated_rate) / treated_enrollments
            + holdout_rate * (1 - holdout_rate) / holdout_enrollments
        ) as standard_error
    from rates
)

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
    difference - 1.96 * standard_error as difference_ci_low,
    difference + 1.96 * standard_error as difference_ci_high,
    case when holdout_rate > 0 then difference / holdout_rate end as relative_lift
from differences
