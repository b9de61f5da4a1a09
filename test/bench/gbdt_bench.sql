-- Benchmark data for the gbdt family: 120,000 rows of 20 features, the first
-- 100,000 to train on and the rest to score.  The label is drawn from a
-- logistic model with interactions and non-linear terms.  setseed makes the
-- draws repeatable; parallel query stays off so random() runs in one process.
SET max_parallel_workers_per_gather = 0;
\o /dev/null
SELECT setseed(0.42);
\o

CREATE TABLE bench_x AS
SELECT g AS id,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f01,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f02,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f03,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f04,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f05,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f06,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f07,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f08,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f09,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f10,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f11,
	sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS f12,
	exp(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS f13,
	exp(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS f14,
	random() AS f15,
	random() AS f16,
	floor(random() * 10) AS f17,
	floor(random() * 10) AS f18,
	floor(random() * 3) AS f19,
	(random() < 0.3)::int::float8 AS f20,
	ln(1 / (1 - random()) - 1) AS noise
FROM generate_series(1, 120000) g;

CREATE TABLE bench AS
SELECT id, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10,
	f11, f12, f13, f14, f15, f16, f17, f18, f19, f20,
	(f01 - 0.8 * f02 + 0.6 * f03 * f04 + sin(2 * f05) + abs(f06) - 0.8
	 + 0.5 * (f17 > 5)::int - 0.3 * f19 + 0.4 * f20 + 0.5 * ln(f13)
	 + 0.8 * (f15 - 0.5) * f07 + noise > 0)::int AS y
FROM bench_x;
DROP TABLE bench_x;

CREATE VIEW bench_train AS SELECT * FROM bench WHERE id <= 100000;
CREATE VIEW bench_test AS SELECT * FROM bench WHERE id > 100000;
