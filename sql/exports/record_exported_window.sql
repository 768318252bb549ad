-- Record a window whose export files are all in place.
-- grain: one row per exported window
-- params: $window_end, $exported_at
insert into exported_windows values ($window_end, $exported_at)
