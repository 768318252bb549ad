-- The generator's connection works in UTC, whatever the machine's time zone.
-- grain: none (a setting)
-- params: none
set TimeZone = 'UTC'
