-- Naive Bayes with fixed hyperparameters, checked against the formulas in
-- SQL.  Standardising a column is affine and the variance floor is a
-- fraction of the largest variance, so the class probabilities come out the
-- same on raw and on standardised values.
SET client_min_messages = warning;

-- Two well-separated classes on a line.
CREATE TABLE nb_line (x float8, label text);
INSERT INTO nb_line VALUES (1, 'a'), (2, 'a'), (3, 'a'), (7, 'b'), (8, 'b'), (9, 'b'), (10, 'b');
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('nb_line', 'label', algorithms => ARRAY['naive_bayes'], seed => 1,
				  hyperparameters => '{"var_smoothing": 1e-9}');
SELECT x, automl_predict('nb_line', q) AS label
FROM (VALUES (-5::float8), (2), (4), (6), (9), (20)) q(x) ORDER BY x;

-- By hand: log P(c | x) = log pi_c + log N(x; mean_c, var_c + eps) - log Z
-- with the biased class variance, eps = 1e-9 * var(x), and Z by
-- log-sum-exp.
CREATE VIEW nb_line_by_hand AS
WITH stats AS (
	SELECT label, count(*) / 7.0::float8 AS prior, avg(x) AS mean,
		var_pop(x) + 1e-9 * (SELECT var_pop(x) FROM nb_line) AS var
	FROM nb_line GROUP BY label),
scores AS (
	SELECT q.x, s.label,
		ln(s.prior) - 0.5 * ln(2 * pi() * s.var) - (q.x - s.mean) ^ 2 / (2 * s.var) AS lp
	FROM (VALUES (2::float8), (4), (5), (5.5), (9)) q(x), stats s),
shifted AS (
	SELECT x, label, lp - max(lp) OVER (PARTITION BY x) AS d FROM scores)
SELECT x, label, exp(d) / sum(exp(d)) OVER (PARTITION BY x) AS p FROM shifted;
SELECT h.x, h.label, round(h.p::numeric, 6) AS by_hand,
	(automl_predict_proba('nb_line', q) ->> h.label)::numeric AS model
FROM nb_line_by_hand h, LATERAL (SELECT h.x) q(x) ORDER BY h.x, h.label;

-- describe: priors and the class means in standardised units.
SELECT automl_model_info(model_id) -> 'model' AS model
FROM automl.deployed_models WHERE project = 'nb_line';
SELECT round(((2 - avg(x)) / stddev_pop(x))::numeric, 5) AS mean_a_by_hand,
	round(((8.5 - avg(x)) / stddev_pop(x))::numeric, 5) AS mean_b_by_hand
FROM nb_line;

-- A Gaussian column x and a two-valued column flag.  "mixed" models flag
-- as Bernoulli with theta_c = (rows of c with flag = 1 + alpha) /
-- (rows of c + 2 alpha); "gaussian" models it as a normal variable.
CREATE TABLE nb_mixed (x float8, flag integer, label text);
INSERT INTO nb_mixed VALUES
	(1, 1, 'a'), (2, 1, 'a'), (2, 0, 'a'), (3, 1, 'a'), (3, 1, 'a'), (3, 1, 'a'),
	(4, 0, 'a'), (5, 1, 'a'),
	(3, 0, 'b'), (4, 0, 'b'), (5, 1, 'b'), (5, 0, 'b'), (6, 0, 'b'), (7, 0, 'b');
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('nb_mixed', 'label', project => 'nb_mixed', algorithms => ARRAY['naive_bayes'],
				  seed => 1, hyperparameters => '{"variant": "mixed", "alpha": 0.5}');
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('nb_mixed', 'label', project => 'nb_mixed_gaussian',
				  algorithms => ARRAY['naive_bayes'], seed => 1,
				  hyperparameters => '{"variant": "gaussian"}');
SELECT project, automl_model_info(model_id) -> 'model' ->> 'bernoulli_columns' AS bernoulli_columns
FROM automl.deployed_models WHERE project IN ('nb_mixed', 'nb_mixed_gaussian') ORDER BY project;

CREATE VIEW nb_mixed_by_hand AS
WITH classes AS (
	SELECT label, count(*) / 14.0::float8 AS prior, count(*)::float8 AS n,
		avg(x) AS mean_x, var_pop(x) + 1e-9 * (SELECT var_pop(x) FROM nb_mixed) AS var_x,
		avg(flag) AS mean_flag,
		var_pop(flag) + 1e-9 * (SELECT var_pop(flag) FROM nb_mixed) AS var_flag,
		(count(*) FILTER (WHERE flag = 1) + 0.5) / (count(*) + 1.0) AS theta
	FROM nb_mixed GROUP BY label),
queries AS (
	SELECT * FROM (VALUES (3::float8, 1), (4, 0), (5, 1), (6, 1)) q(x, flag)),
scores AS (
	SELECT v.variant, q.x, q.flag, c.label,
		ln(c.prior) - 0.5 * ln(2 * pi() * c.var_x) - (q.x - c.mean_x) ^ 2 / (2 * c.var_x) +
		CASE WHEN v.variant = 'mixed'
			THEN ln(CASE WHEN q.flag = 1 THEN c.theta ELSE 1 - c.theta END)
			ELSE -0.5 * ln(2 * pi() * c.var_flag) - (q.flag - c.mean_flag) ^ 2 / (2 * c.var_flag)
		END AS lp
	FROM queries q, classes c, (VALUES ('mixed'), ('gaussian')) v(variant)),
shifted AS (
	SELECT variant, x, flag, label,
		lp - max(lp) OVER (PARTITION BY variant, x, flag) AS d
	FROM scores)
SELECT variant, x, flag, label,
	exp(d) / sum(exp(d)) OVER (PARTITION BY variant, x, flag) AS p
FROM shifted;
SELECT h.variant, h.x, h.flag, round(h.p::numeric, 6) AS p_a_by_hand,
	(automl_predict_proba(CASE h.variant WHEN 'mixed' THEN 'nb_mixed'
						  ELSE 'nb_mixed_gaussian' END, q) ->> 'a')::numeric AS p_a_model
FROM nb_mixed_by_hand h, LATERAL (SELECT h.x, h.flag) q(x, flag)
WHERE h.label = 'a' ORDER BY h.variant DESC, h.x;

-- Importance of a column: sqrt(sum_c pi_c (mean_c - mean)^2 /
-- sum_c pi_c var_c), normalised over the columns (the variance floor is
-- negligible here).
CREATE VIEW nb_mixed_importance AS
WITH classes AS (
	SELECT label, count(*) / 14.0 AS prior, avg(x) AS mean_x, var_pop(x) AS var_x,
		avg(flag) AS mean_flag, var_pop(flag) AS var_flag
	FROM nb_mixed GROUP BY label),
overall AS (SELECT avg(x) AS mean_x, avg(flag) AS mean_flag FROM nb_mixed),
raw AS (
	SELECT sqrt(sum(prior * (c.mean_x - o.mean_x) ^ 2) / sum(prior * var_x)) AS x,
		sqrt(sum(prior * (c.mean_flag - o.mean_flag) ^ 2) / sum(prior * var_flag)) AS flag
	FROM classes c, overall o)
SELECT x / (x + flag) AS x, flag / (x + flag) AS flag FROM raw;
SELECT round(h.x::numeric, 6) AS x_by_hand, (m.feature_importance ->> 'x')::numeric AS x_model,
	round(h.flag::numeric, 6) AS flag_by_hand, (m.feature_importance ->> 'flag')::numeric AS flag_model
FROM nb_mixed_importance h, automl.models m JOIN automl.deployed_models d ON d.model_id = m.id
WHERE d.project = 'nb_mixed';

-- Iris with fixed hyperparameters: cross-validated balanced accuracy,
-- accuracy on the training rows and importance (the petal measurements
-- separate the species best).
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('iris', 'species', project => 'nb_iris', algorithms => ARRAY['naive_bayes'],
				  seed => 3, hyperparameters => '{"var_smoothing": 1e-9}');
SELECT round(avg((automl_predict('nb_iris', i) = species)::int), 4) AS training_accuracy
FROM iris i;
SELECT key AS feature, round(value::numeric, 4) AS importance
FROM automl.models m JOIN automl.deployed_models d ON d.model_id = m.id,
	jsonb_each_text(m.feature_importance)
WHERE d.project = 'nb_iris' ORDER BY importance DESC;

-- Titanic: its two-level text columns become 0/1 columns and its booleans
-- 0/1 numbers, which "mixed" models as Bernoulli.
SELECT algorithm, round(score::numeric, 4) AS score
FROM automl_train('titanic', 'survived', project => 'nb_titanic', exclude => ARRAY['alive'],
				  algorithms => ARRAY['naive_bayes'], seed => 3,
				  hyperparameters => '{"variant": "mixed", "alpha": 1}');
SELECT (automl_model_info(model_id) -> 'model' ->> 'bernoulli_columns')::int > 0 AS has_bernoulli
FROM automl.deployed_models WHERE project = 'nb_titanic';

-- Determinism: the same training twice stores the same model binary.
SELECT algorithm FROM automl_train('iris', 'species', project => 'nb_iris_again',
								   algorithms => ARRAY['naive_bayes'], seed => 3,
								   hyperparameters => '{"var_smoothing": 1e-9}');
SELECT a.model = b.model AS same_binary, a.score = b.score AS same_score
FROM automl.deployed_models da JOIN automl.models a ON a.id = da.model_id,
	automl.deployed_models db JOIN automl.models b ON b.id = db.model_id
WHERE da.project = 'nb_iris' AND db.project = 'nb_iris_again';

-- Serialisation round trip: keep predictions, reconnect so the models are
-- read back from the catalog, and compare.
CREATE TABLE nb_iris_queries AS
	SELECT row_number() OVER () AS id, sepal_length + 0.05 AS sepal_length,
		sepal_width - 0.1 AS sepal_width, petal_length + 0.13 AS petal_length,
		petal_width AS petal_width
	FROM iris;
CREATE TABLE nb_before AS
	SELECT id, automl_predict_proba('nb_iris', q) AS p FROM nb_iris_queries q;
CREATE TABLE nb_titanic_numbered AS SELECT row_number() OVER () AS id, * FROM titanic;
CREATE TABLE nb_titanic_before AS
	SELECT id, automl_predict_proba('nb_titanic', t) AS p FROM nb_titanic_numbered t;
\c
SET client_min_messages = warning;
SELECT count(*) AS rows, count(*) FILTER (WHERE b.p = automl_predict_proba('nb_iris', q)) AS same
FROM nb_iris_queries q JOIN nb_before b USING (id);
SELECT count(*) AS rows, count(*) FILTER (WHERE b.p = automl_predict_proba('nb_titanic', t)) AS same
FROM nb_titanic_numbered t JOIN nb_titanic_before b USING (id);

-- Errors: out-of-range hyperparameters, and regression.
\set VERBOSITY default
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['naive_bayes'],
						   hyperparameters => '{"var_smoothing": 0.5}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['naive_bayes'],
						   hyperparameters => '{"alpha": 0}');
SELECT * FROM automl_train('iris', 'species', algorithms => ARRAY['naive_bayes'],
						   hyperparameters => '{"variant": "bernoulli"}');
SELECT * FROM automl_train('iris', 'sepal_length', project => 'nb_regression',
						   algorithms => ARRAY['naive_bayes'], hyperparameters => '{}');
