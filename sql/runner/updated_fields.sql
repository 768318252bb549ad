-- The organization fields that steps have ever set (the overlay gives each a column).
-- grain: one row per field name
select distinct name from org_updates where kind = 'field' order by name
