-- The current state of each snapshot kind: the rows of the newest snapshot (valid_to is null).
-- Views, so custom columns added to the *_versions tables appear here by themselves.
create or replace view organizations as
    select * exclude (valid_to, row_hash) from organization_versions where valid_to is null;
create or replace view contacts as
    select * exclude (valid_to, row_hash) from contact_versions where valid_to is null;
create or replace view memberships as
    select * exclude (valid_to, row_hash) from membership_versions where valid_to is null;
create or replace view subscriptions as
    select * exclude (valid_to, row_hash) from subscription_versions where valid_to is null;
