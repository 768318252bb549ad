-- Golden fixtures of journeys.fusion.fuse_branches: a `# title:` line, the input, the exact
-- output (DuckDB SQL), each statement on one line, blocks apart by a blank line.

# title: branches over one table fuse into one pass: each row yields every branch it meets
select 'a' as j, x.k from x where x.t > 1 union all select 'b' as j, x.k from x where x.t > 2;
SELECT CASE _branch WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS j, "x__k" AS k FROM (SELECT x.k AS "x__k", UNNEST(LIST_FILTER([CASE WHEN x.t > 1 THEN 1 END, CASE WHEN x.t > 2 THEN 2 END], LAMBDA _n : NOT _n IS NULL)) AS _branch FROM x WHERE (x.t > 1) OR (x.t > 2)) AS _fused;

# title: branches told apart by literals join a table of their keys
select 'a' as j, w.e from walk as w where w.journey_id = 'a' and w.step_id = 's' and w.v > 1 union all select 'b' as j, w.e from walk as w where w.journey_id = 'b' and w.step_id = 's' and w.v > 2;
SELECT CASE _keys._branch WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS j, w.e AS e FROM walk AS w JOIN (VALUES ('s', 'a', 1), ('s', 'b', 2)) AS _keys(_key_step_id, _key_journey_id, _branch) ON w.step_id = _keys._key_step_id AND w.journey_id = _keys._key_journey_id WHERE CASE _keys._branch WHEN 1 THEN w.journey_id = 'a' AND w.step_id = 's' AND w.v > 1 WHEN 2 THEN w.journey_id = 'b' AND w.step_id = 's' AND w.v > 2 END;

# title: distinct branches with a join stay distinct, the keys joined first
select distinct 'a' as j, o.org_id from acts as a join orgs as o on o.org_id = a.org_id where a.activity_type = 'x' union all select distinct 'b' as j, o.org_id from acts as a join orgs as o on o.org_id = a.org_id where a.activity_type = 'y';
SELECT DISTINCT CASE _keys._branch WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS j, o.org_id AS org_id FROM acts AS a JOIN (VALUES ('x', 1), ('y', 2)) AS _keys(_key_activity_type, _branch) ON a.activity_type = _keys._key_activity_type JOIN orgs AS o ON o.org_id = a.org_id WHERE CASE _keys._branch WHEN 1 THEN a.activity_type = 'x' WHEN 2 THEN a.activity_type = 'y' END;

# title: a scalar subquery that branches repeat is computed once, as a column
select 'a' as j, o.k from x as o where (select count(*) from e where e.k = o.k) > 1 union all select 'b' as j, o.k from x as o where (select count(*) from e where e.k = o.k) > 2;
SELECT CASE _branch WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS j, "o__k" AS k FROM (SELECT o.k AS "o__k", UNNEST(LIST_FILTER([CASE WHEN o._shared_1 > 1 THEN 1 END, CASE WHEN o._shared_1 > 2 THEN 2 END], LAMBDA _n : NOT _n IS NULL)) AS _branch FROM (SELECT o.*, (SELECT COUNT(*) FROM e WHERE e.k = o.k) AS _shared_1 FROM x AS o) AS o) AS _fused;

# title: branches over different tables stay apart
select 'a' as j, x.k from x where x.t > 1 union all select 'b' as j, y.k from y where y.t > 2;
SELECT 'a' AS j, x.k FROM x WHERE x.t > 1 UNION ALL SELECT 'b' AS j, y.k FROM y WHERE y.t > 2;

# title: one branch is left as it is
select 'a' as j, x.k from x where x.t > 1;
SELECT 'a' AS j, x.k FROM x WHERE x.t > 1;

# title: grouped branches are not fused
select 'a' as j, count(*) as n from x group by 1 union all select 'b' as j, count(*) as n from x group by 1;
SELECT 'a' AS j, COUNT(*) AS n FROM x GROUP BY 1 UNION ALL SELECT 'b' AS j, COUNT(*) AS n FROM x GROUP BY 1;

