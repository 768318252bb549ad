-- Attach the warehouse a backtest reads beside its scratch database, read-only: nothing of
-- the backtest can write to it.
-- grain: none (a statement)
-- params: $path
attach $path as source (read_only)
