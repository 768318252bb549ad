-- Drop one of a file load's temp views (connection-local).
-- grain: none
-- params: $view
drop view if exists temp.$view
