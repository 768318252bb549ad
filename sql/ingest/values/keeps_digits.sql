-- Whether every value of a numeric column keeps all its digits as a number (a double, exact
-- to 15 digits): at most 15 integer digits, and the same value back from the double
-- ($round_trip). An aggregate: true for a column without values.
-- grain: one value per column
-- params: $number, $round_trip
select coalesce(bool_and(abs($number) < 1e15 and $round_trip = $number), true) as value
