-- The columns and types of the rows $rows, to choose how each file format writes them.
-- grain: one row per column
-- params: $rows
describe $rows
