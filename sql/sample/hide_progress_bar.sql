-- The generator's connection draws no progress bar (the callers draw their own).
-- grain: none (a setting)
-- params: none
set enable_progress_bar = false
