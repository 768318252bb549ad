-- Whether a journey id was ever registered (the Python API and `export` refuse an unknown one).
-- grain: one row
-- params: $journey_id
select count(*) > 0 as known from journeys where journey_id = $journey_id
