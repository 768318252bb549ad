-- Delivery rules and holdouts (SPEC section 3): a holdout enrollment is recorded as such, and
-- each send says whether it counts toward the frequency caps (the sends of journeys with
-- `frequency_cap: exempt` are neither capped nor counted; earlier sends all counted).
alter table ended_enrollments add column if not exists is_holdout boolean default false;
alter table sends add column if not exists counts_toward_caps boolean default true;
