-- The windows whose export files are complete (written after the window commits).
-- Grain: one row per exported window.
create table if not exists exported_windows (
    window_end timestamp not null,
    exported_at timestamp not null
);
