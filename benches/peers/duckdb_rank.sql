-- The ranking of `bsc evaluate card.toml --data FILE --format csv` in DuckDB,
-- for a card of linear indicators only (`gen --linear`). Set two variables
-- first, then read this file (duckdb_rank.py does that):
--   SET VARIABLE data = 'target/portfolio-bench/linear/data-10000x100x2.csv';
--   SET VARIABLE params = 'target/portfolio-bench/linear/card-params.csv';
-- The latest period (the greatest label: gen's `2025-Q4 < 2026-Q1` sort as
-- text as bsc sorts them), the linear rule of docs/format.md
-- clamp(100 * (actual - baseline) / (target - baseline), 0, cap), weighted
-- means up objective -> perspective -> composite over the children with a
-- score (`missing = "renormalize"`), ranked by composite, ties by unit name.
WITH rows AS (
    SELECT * FROM read_csv(getvariable('data'), header = true,
        columns = {'period': 'VARCHAR', 'unit': 'VARCHAR', 'id': 'VARCHAR', 'value': 'DOUBLE'})
),
card AS (
    SELECT * FROM read_csv(getvariable('params'), header = true,
        columns = {'id': 'VARCHAR', 'objective': 'VARCHAR', 'objective_weight': 'DOUBLE',
                   'perspective': 'VARCHAR', 'perspective_weight': 'DOUBLE', 'weight': 'DOUBLE',
                   'baseline': 'DOUBLE', 'target': 'DOUBLE', 'max_score': 'DOUBLE'})
),
scored AS (
    SELECT r.unit, c.objective, c.objective_weight, c.perspective, c.perspective_weight, c.weight,
           least(greatest(100 * (r.value - c.baseline) / (c.target - c.baseline), 0), c.max_score) AS score
    FROM rows r JOIN card c ON r.id = c.id
    WHERE r.period = (SELECT max(period) FROM rows)
),
objectives AS (
    SELECT unit, objective, any_value(objective_weight) AS weight, any_value(perspective) AS perspective,
           any_value(perspective_weight) AS perspective_weight,
           sum(score * weight) / sum(weight) FILTER (WHERE score IS NOT NULL) AS score
    FROM scored GROUP BY unit, objective
),
perspectives AS (
    SELECT unit, perspective, any_value(perspective_weight) AS weight,
           sum(score * weight) / sum(weight) FILTER (WHERE score IS NOT NULL) AS score
    FROM objectives GROUP BY unit, perspective
),
composite AS (
    SELECT unit, sum(score * weight) / sum(weight) FILTER (WHERE score IS NOT NULL) AS composite
    FROM perspectives GROUP BY unit
)
SELECT row_number() OVER (ORDER BY composite DESC, unit) AS rank, unit, composite
FROM composite
ORDER BY rank;
