-- The benchmark's lower bound, part 3 (`entry_filters`): every published journey's entry
-- condition over the organizations, in one pass (the branches fused as the engine fuses).
-- grain: one row per journey and organization that meets its entry condition
-- params: $levels
create or replace temp table lb_entries as $levels
