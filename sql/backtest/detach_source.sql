-- Detach the warehouse a backtest read, once its inputs are copied into the scratch database.
-- grain: none (a statement)
detach source
