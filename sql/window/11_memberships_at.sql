-- Which contacts belong to which organizations as of the window end.
-- target: memberships_at
-- write: view
-- grain: one row per contact and organization
-- params: $window_end
select contact_id, org_id
from membership_versions
where valid_from <= $window_end and (valid_to is null or valid_to > $window_end)
