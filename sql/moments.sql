-- automl.moments agrees with PostgreSQL's own statistics, serially and
-- when partial states from parallel workers are combined.
CREATE TABLE moment_data AS
SELECT g, exp(sin(g) * 2) AS x, CASE WHEN g % 17 = 0 THEN NULL ELSE g % 7 END::float8 AS z
FROM generate_series(1, 50000) g;
ANALYZE moment_data;

CREATE TEMP TABLE reference AS
SELECT count(x) AS n, avg(x) AS mean, var_pop(x) AS variance,
	avg(power(x - (SELECT avg(x) FROM moment_data), 3)) / power(var_pop(x), 1.5) AS skewness,
	avg(power(x - (SELECT avg(x) FROM moment_data), 4)) / power(var_pop(x), 2) - 3 AS kurtosis
FROM moment_data;

SELECT m[1] = r.n AS count_ok,
	abs(m[2] - r.mean) < 1e-9 AS mean_ok,
	abs(m[3] - r.variance) < 1e-9 AS variance_ok,
	abs(m[4] - r.skewness) < 1e-9 AS skewness_ok,
	abs(m[5] - r.kurtosis) < 1e-8 AS kurtosis_ok
FROM (SELECT automl.moments(x) AS m FROM moment_data) a, reference r;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT automl.moments(x) FROM moment_data;
SELECT abs(m[4] - r.skewness) < 1e-9 AS parallel_skewness_ok,
	abs(m[5] - r.kurtosis) < 1e-8 AS parallel_kurtosis_ok
FROM (SELECT automl.moments(x) AS m FROM moment_data) a, reference r;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- NULL, NaN and infinity are skipped; no values give NULL.
SELECT automl.moments(z)::numeric(10, 4)[] AS z_moments FROM moment_data;
SELECT automl.moments(v) FROM (VALUES (1.0::float8), ('NaN'), ('Infinity'), (3.0)) t(v);
SELECT automl.moments(v) IS NULL AS empty FROM (VALUES (NULL::float8)) t(v);
