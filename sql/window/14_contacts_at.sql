-- Contacts as of the window end (tags lower-cased, so tag filters ignore case).
-- target: contacts_at
-- write: view
-- grain: one row per contact
-- params: $window_end
select
    * exclude (tags, valid_from, valid_to, row_hash),
    list_transform(coalesce(tags, []), tag -> lower(tag)) as tags
from contact_versions
where valid_from <= $window_end and (valid_to is null or valid_to > $window_end)
