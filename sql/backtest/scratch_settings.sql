-- The scratch database is thrown away after the backtest: its WAL is never checkpointed into
-- the file while the windows run (a checkpoint after a window's commit cost about 16 % of a
-- backtest's time at scale m), and is never replayed.
-- grain: none (a statement)
set checkpoint_threshold = '64GB'
